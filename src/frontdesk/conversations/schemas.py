"""Conversation and message bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
    model_validator,
)

from frontdesk.core.clock import utcnow
from frontdesk.routing.schemas import DecisionPublic


class MessagePublic(BaseModel):
    """A message as the API returns it to members."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    direction: str
    sender: str
    text: str
    content: dict[str, Any]
    meta: dict[str, Any]
    reply_to_id: str | None
    status: str
    created_at: datetime


class ConversationPublic(BaseModel):
    """A conversation as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    contact_id: str
    channel_id: str
    status: str
    needs_human: bool
    assignee_id: str | None
    last_message_at: datetime
    created_at: datetime
    waiting_since: datetime | None = None
    """When the bot handed over, while the conversation waits for a member."""
    escalation_reason: str | None = None
    """Why the bot handed over (``asked_for_human``, ``no_answer``, …)."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def waiting_seconds(self) -> int | None:
        """How long the conversation has been waiting for a member (the SLA age)."""
        if self.waiting_since is None:
            return None
        return max(0, int((utcnow() - self.waiting_since).total_seconds()))


class ConversationSummary(ConversationPublic):
    """A conversation as the inbox lists it: who, and the latest message."""

    contact_name: str | None = None
    last_sender: str | None = None
    preview: str | None = None


class AgentReply(BaseModel):
    """A member's reply to the customer: text, a file uploaded beforehand, or both."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", max_length=4096)
    media_id: str | None = Field(default=None, min_length=1, max_length=36)
    """A file from ``POST /api/v1/channels/media``."""
    translate: bool = True
    """Into the customer's language, when they write in another one and a model is configured."""

    @model_validator(mode="after")
    def _not_blank(self) -> AgentReply:
        self.text = self.text.strip()
        if not self.text and self.media_id is None:
            raise ValueError("give a text or a media_id")
        return self


class ConversationDetail(ConversationPublic):
    """A conversation with its messages and the bot's latest routing decisions (newest first).

    Each customer message's ``meta.analysis`` holds what the bot understood of it.
    """

    messages: list[MessagePublic]
    decisions: list[DecisionPublic] = []
    summary: str | None = None
    """What the conversation is about, once it is long (rewritten every few messages)."""
    language: str | None = None
    """The customer's language, as last detected with confidence (ISO 639-1)."""


class AssignRequest(BaseModel):
    """Whom to give a conversation to."""

    model_config = ConfigDict(extra="forbid")

    member_id: str = Field(min_length=1, max_length=36)


class CallbackPublic(BaseModel):
    """A queued callback as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    contact_id: str
    reason: str
    status: str
    requested_at: datetime
    done_at: datetime | None
    done_by: str | None


class CustomerMessage(MessagePublic):
    """A message as the customer's own web chat shows it: no internals.

    Scores, the agent's member id and the understanding of the message stay out; only which
    handler answered is kept.
    """

    @field_validator("meta")
    @classmethod
    def _public_meta(cls, value: dict[str, Any]) -> dict[str, Any]:
        return {key: value[key] for key in ("handler",) if key in value}
