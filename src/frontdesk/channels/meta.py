"""Meta's webhook scheme (shared with WhatsApp) and the Messenger / Instagram adapters.

Meta subscribes a webhook with ``GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…``
(echo the challenge when the token matches) and signs every POST with
``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body keyed by the app secret>``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, get_args

import httpx
from starlette.responses import PlainTextResponse, Response

from frontdesk.channels.canonical import Inbound, Media, MessageTag, Reply, StatusUpdate
from frontdesk.channels.protocol import (
    Capabilities,
    Parsed,
    Payload,
    PlainWebhook,
    ProviderError,
    Target,
    WebhookRequest,
    check_response,
    json_body,
    require_header,
    same,
)
from frontdesk.core.errors import Unauthorized

ATTACHMENT_KINDS = {"image": "image", "audio": "audio", "video": "video", "file": "document"}


def meta_signature(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


class MetaWebhook(PlainWebhook):
    """The webhook side Messenger, Instagram and WhatsApp share: Meta signs and subscribes."""

    content_types = ("application/json",)
    generated_credential = "verify_token"

    def verify(self, request: WebhookRequest, credentials: dict[str, str]) -> None:
        """Check ``X-Hub-Signature-256`` against the app secret (constant time)."""
        given = require_header(request, "X-Hub-Signature-256")
        if not same(given, meta_signature(credentials["app_secret"], request.body)):
            raise Unauthorized("X-Hub-Signature-256 does not match the body")

    def handshake(self, request: WebhookRequest, credentials: dict[str, str]) -> Response | None:
        """Answer Meta's ``hub.challenge`` subscription check (GET only)."""
        if request.method != "GET":
            return None
        if request.query.get("hub.mode") != "subscribe":
            raise Unauthorized("not a subscription handshake (hub.mode must be subscribe)")
        if not same(request.query.get("hub.verify_token"), credentials["verify_token"]):
            raise Unauthorized("hub.verify_token does not match")
        return PlainTextResponse(request.query.get("hub.challenge", ""))


def objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of ``value`` if it is a list (Meta's payloads nest lists of objects)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


GRAPH_THROTTLED = {
    4: "app request limit",
    17: "user request limit",
    32: "page request limit",
    613: "rate limit",
    80007: "WhatsApp Business Account rate limit",
    130429: "throughput limit",
    131056: "pair rate limit (too many messages to this recipient)",
    131057: "account in maintenance",
}
"""Graph API error codes that mean "slow down" (sent with HTTP 400, not 429): retried."""
PAIR_RATE_WAIT = 6.0  # WhatsApp: one message every 6 s to the same customer


def graph_response(response: httpx.Response, provider: str) -> Any:
    """Like :func:`check_response`, but a Graph API throttling error is retried, not refused."""
    if 400 <= response.status_code < 500 and response.status_code != 429:
        try:
            code = response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        if isinstance(code, int) and code in GRAPH_THROTTLED:
            wait = PAIR_RATE_WAIT if code == 131056 else 0.0
            raise ProviderError(
                f"{provider}: {GRAPH_THROTTLED[code]} (error {code})", retry_after=wait
            )
    return check_response(response, provider)


# Instagram takes only the human agent tag.
TAGS = {
    "messenger": frozenset(get_args(MessageTag)),
    "instagram": frozenset({"HUMAN_AGENT"}),
}


class MetaMessagingAdapter(MetaWebhook):
    """Facebook Messenger and Instagram direct messages (Graph API ``/me/messages``)."""

    required_credentials = ("app_secret", "page_access_token")
    required_config: tuple[str, ...] = ()

    def __init__(self, type_: str) -> None:
        self.type = type_
        self.capabilities = Capabilities(
            max_buttons=13, max_button_title=20, media=True, max_text=2000, tags=TAGS[type_]
        )

    def parse(self, request: WebhookRequest) -> Parsed:
        """Every ``entry[].messaging[]`` event: messages, postbacks, reactions, receipts."""
        data = json_body(request)
        out: Parsed = []
        for entry in objects(data.get("entry")):
            for event in objects(entry.get("messaging")):
                out.extend(_messaging_event(event))
        return out

    def render(self, reply: Reply, target: Target) -> list[Payload]:
        """A Send API message; buttons become quick replies; a tag makes it a tagged message."""
        recipient = {"id": target.recipient_id}
        sending: dict[str, Any] = (
            {"messaging_type": "MESSAGE_TAG", "tag": reply.tag}
            if reply.tag
            else {"messaging_type": "RESPONSE"}
        )
        payloads: list[Payload] = []
        if reply.media is not None:
            kind = "file" if reply.media.kind == "document" else reply.media.kind
            payloads.append(
                {
                    "recipient": recipient,
                    **sending,
                    "message": {"attachment": {"type": kind, "payload": {"url": reply.media.url}}},
                }
            )
        if reply.text or reply.buttons:
            message: dict[str, Any] = {"text": reply.text or "…"}
            if reply.buttons:
                message["quick_replies"] = [
                    {"content_type": "text", "title": b.title, "payload": b.id}
                    for b in reply.buttons
                ]
            payloads.append({"recipient": recipient, **sending, "message": message})
        return payloads

    async def send(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        credentials: dict[str, str],
        config: dict[str, Any],
        payload: Payload,
    ) -> str:
        """POST to ``/me/messages``; the answer carries ``message_id``."""
        response = await client.post(
            f"{base_url}/me/messages",
            params={"access_token": credentials["page_access_token"]},
            json=payload,
        )
        body = graph_response(response, self.type)
        if not isinstance(body, dict) or not body.get("message_id"):
            raise ProviderError(f"{self.type} answered without a message_id")
        return str(body["message_id"])


def _messaging_event(event: dict[str, Any]) -> Parsed:
    sender = str((event.get("sender") or {}).get("id", ""))
    if not sender:
        return []
    base: dict[str, Any] = {"sender_id": sender, "thread_id": sender, "raw": event}
    if "delivery" in event:
        mids = (event["delivery"] or {}).get("mids") or []
        return [StatusUpdate(provider_message_id=str(m), status="delivered") for m in mids]
    if "read" in event:
        return []  # a watermark, not per message: nothing to attach it to
    if "postback" in event:
        postback = event["postback"] or {}
        mid = postback.get("mid") or f"postback:{sender}:{event.get('timestamp')}"
        return [
            Inbound(
                external_id=str(mid),
                kind="button_reply",
                text=str(postback.get("title", "")),
                choice_id=str(postback.get("payload", "")),
                **base,
            )
        ]
    if "reaction" in event:
        reaction = event["reaction"] or {}
        return [
            Inbound(
                external_id=f"reaction:{reaction.get('mid')}:{event.get('timestamp')}",
                kind="reaction",
                reaction=reaction.get("emoji") or reaction.get("reaction"),
                reply_to_external_id=reaction.get("mid"),
                **base,
            )
        ]
    message = event.get("message")
    if not isinstance(message, dict) or not message.get("mid") or message.get("is_echo"):
        return []
    return [_message(message, base)]


def _message(message: dict[str, Any], base: dict[str, Any]) -> Inbound:
    mid = str(message["mid"])
    if "quick_reply" in message:
        return Inbound(
            external_id=mid,
            kind="button_reply",
            text=str(message.get("text", "")),
            choice_id=str((message["quick_reply"] or {}).get("payload", "")),
            **base,
        )
    attachments = objects(message.get("attachments"))
    if attachments:
        first = attachments[0]
        kind = first.get("type")
        payload = first.get("payload") or {}
        if kind == "location":
            coords = payload.get("coordinates") or {}
            return Inbound(
                external_id=mid,
                kind="location",
                location={"latitude": coords.get("lat"), "longitude": coords.get("long")},
                **base,
            )
        if kind in ATTACHMENT_KINDS:
            return Inbound(
                external_id=mid,
                kind=ATTACHMENT_KINDS[kind],
                text=str(message.get("text", "")),
                media=Media(url=payload.get("url")),
                **base,
            )
        return Inbound(external_id=mid, kind="unknown", **base)
    if "text" in message:
        return Inbound(external_id=mid, kind="text", text=str(message["text"]), **base)
    return Inbound(external_id=mid, kind="unknown", **base)
