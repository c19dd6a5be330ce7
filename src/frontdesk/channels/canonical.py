"""The channel-neutral models: what a customer sent (inbound) and what we answer (reply)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

InboundKind = Literal[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "button_reply",
    "list_reply",
    "location",
    "contacts",
    "reaction",
    "unknown",
]
DeliveryStatus = Literal["sent", "delivered", "read", "failed"]
MessageTag = Literal[
    "HUMAN_AGENT", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"
]
"""Messenger's message tags: the ways past its 24-hour window, each for its one purpose."""
MediaKind = Literal["image", "audio", "video", "document"]


class Media(BaseModel):
    """An attachment as the provider describes it.

    Fetched after intake, except a file posted with the webhook itself (an e-mail's
    attachments): that one carries its bytes (:meth:`posted`) and is stored at intake.
    """

    id: str | None = None
    """The stored file (``GET /api/v1/channels/media/{id}``), set at intake."""
    url: str | None = None
    provider_id: str | None = None
    mime_type: str | None = None
    filename: str | None = None
    size: int | None = None
    _content: bytes | None = PrivateAttr(default=None)

    @classmethod
    def posted(cls, content: bytes, **fields: Any) -> Media:
        """A file whose bytes came with the webhook (never part of the stored payload)."""
        media = cls(size=len(content), **fields)
        media._content = content
        return media

    @property
    def content(self) -> bytes | None:
        """The bytes of a posted file; None for one the provider keeps."""
        return self._content


_MEDIA_KINDS: dict[str, MediaKind] = {"image": "image", "audio": "audio", "video": "video"}


def media_kind(mime_type: str | None) -> MediaKind:
    """The kind of a file of ``mime_type``: image, audio, video, else document."""
    return _MEDIA_KINDS.get((mime_type or "").partition("/")[0], "document")


class Location(BaseModel):
    """A point on the map."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    name: str | None = None
    address: str | None = None


class SharedContact(BaseModel):
    """A contact card the customer shared."""

    name: str = ""
    phones: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)


class Inbound(BaseModel):
    """One customer message, normalized.

    ``text`` is always the best plain-text reading of the message (a button's title, a caption),
    so the bot can answer any kind; ``raw`` keeps the provider's item as delivered.
    """

    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(min_length=1, max_length=200)
    kind: InboundKind
    sender_id: str = Field(min_length=1, max_length=200)
    thread_id: str = Field(min_length=1, max_length=200)
    sender_name: str | None = None
    text: str = ""
    media: Media | None = None
    attachments: list[Media] = Field(default_factory=list)
    """Files after ``media``, when a message carries several (an e-mail)."""
    location: Location | None = None
    contacts: list[SharedContact] = Field(default_factory=list)
    choice_id: str | None = None
    reaction: str | None = None
    reply_to_external_id: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    raw: dict[str, Any] = Field(default_factory=dict)

    def files(self) -> list[Media]:
        """Every file the message carries: ``media``, then ``attachments``."""
        return [self.media, *self.attachments] if self.media else list(self.attachments)


class StatusUpdate(BaseModel):
    """A provider's delivery or read receipt for a message we sent."""

    provider_message_id: str = Field(min_length=1, max_length=200)
    status: DeliveryStatus
    reason: str | None = None

    @property
    def external_id(self) -> str:
        """The dedupe key of this receipt."""
        return f"status:{self.provider_message_id}:{self.status}"


class Button(BaseModel):
    """A quick-reply button."""

    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200)


class ListRow(BaseModel):
    """One choice of a list."""

    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=500)


class OutboundMedia(BaseModel):
    """An attachment to send: by public URL, or a stored file by id (sent as a signed link)."""

    kind: MediaKind
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    media_id: str | None = Field(default=None, min_length=1, max_length=36)
    """A file stored here (``POST /api/v1/channels/media``)."""
    caption: str | None = None
    filename: str | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> OutboundMedia:
        if self.url is None and self.media_id is None:
            raise ValueError("give the media a url or a media_id")
        return self


class TemplateHeader(BaseModel):
    """A template header's value: its one text parameter, or the media it shows (public URL)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["text", "image", "video", "document"]
    text: str | None = Field(default=None, min_length=1, max_length=60)
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    filename: str | None = Field(default=None, min_length=1, max_length=240)

    @model_validator(mode="after")
    def _one_value(self) -> TemplateHeader:
        given, other = (self.text, self.url) if self.kind == "text" else (self.url, self.text)
        if given is None or other is not None:
            raise ValueError("a text header takes text; a media header takes a url")
        if self.filename is not None and self.kind != "document":
            raise ValueError("only a document header takes a filename")
        return self


class TemplateButton(BaseModel):
    """A value for one of the template's buttons (``index`` from 0, in the template's order)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["quick_reply", "url"]
    index: int = Field(ge=0, le=9)
    value: str = Field(min_length=1, max_length=256)
    """A quick reply's payload (what a tap sends back), or a URL button's dynamic suffix."""


class Template(BaseModel):
    """A message template the provider approved beforehand (WhatsApp's "message templates").

    The only way to write to a WhatsApp customer outside the 24-hour window after their last
    message. ``parameters`` fill the body's ``{{1}}``, ``{{2}}``… in order; ``header`` and
    ``buttons`` give the values of a header and of buttons that take one.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=512, pattern=r"^[a-z0-9_]+$")
    language: str = Field(default="en_US", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    parameters: list[Annotated[str, Field(min_length=1, max_length=1024)]] = Field(
        default_factory=list, max_length=20
    )
    header: TemplateHeader | None = None
    buttons: list[TemplateButton] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _buttons_once(self) -> Template:
        indexes = [button.index for button in self.buttons]
        if len(set(indexes)) != len(indexes):
            raise ValueError("each button index at most once")
        return self


class Reply(BaseModel):
    """A rich reply: text plus at most one of buttons, a list, media or a location.

    A ``template`` is sent instead where the channel has templates; elsewhere its text goes.
    A ``tag`` (Messenger, Instagram) lets the reply past the 24-hour window for the tag's
    purpose: ``HUMAN_AGENT`` is a person's answer, up to 7 days after the customer's last
    message (agents' replies get it by themselves); the update tags have no time limit.
    """

    model_config = ConfigDict(extra="forbid")

    text: str = ""
    template: Template | None = None
    tag: MessageTag | None = None
    buttons: list[Button] = Field(default_factory=list)
    rows: list[ListRow] = Field(default_factory=list)
    list_button: str = Field(default="Options", min_length=1, max_length=20)
    media: OutboundMedia | None = None
    location: Location | None = None
