"""Signal through the signal-cli REST gateway (``bbernhard/signal-cli-rest-api``).

The gateway signs nothing, so Frontdesk requires its own shared secret in the
``X-Frontdesk-Signal-Secret`` header (configure the gateway's webhook to send it) and the gateway
must stay on a private network: anyone who can reach it can send as the tenant's number.
"""

from __future__ import annotations

from typing import Any

import httpx

from frontdesk.channels.canonical import Inbound, Media, Reply
from frontdesk.channels.protocol import (
    Capabilities,
    Parsed,
    Payload,
    ProviderError,
    SecretHeaderWebhook,
    Target,
    WebhookRequest,
    check_response,
    json_body,
)

SIGNAL_HEADER = "X-Frontdesk-Signal-Secret"
MEDIA_KINDS = {"image": "image", "audio": "audio", "video": "video"}


class SignalAdapter(SecretHeaderWebhook):
    """A Signal number registered in a signal-cli REST gateway."""

    type = "signal"
    capabilities = Capabilities(max_buttons=0, max_list_rows=0, media=False, max_text=2000)
    content_types = ("application/json",)
    required_credentials: tuple[str, ...] = ()
    required_config = ("gateway_url", "number")
    generated_credential = "shared_secret"
    verify_header = SIGNAL_HEADER

    def parse(self, request: WebhookRequest) -> Parsed:
        """The ``envelope`` of a received message (receipts and typing are ignored)."""
        data = json_body(request)
        found = data.get("envelope")
        envelope: dict[str, Any] = found if isinstance(found, dict) else data
        message = envelope.get("dataMessage")
        if not isinstance(message, dict):
            return []
        sender = str(envelope.get("sourceNumber") or envelope.get("source") or "")
        if not sender:
            return []
        group = (message.get("groupInfo") or {}).get("groupId")
        base: dict[str, Any] = {
            "external_id": f"{sender}:{message.get('timestamp') or envelope.get('timestamp')}",
            "sender_id": sender,
            "thread_id": f"group:{group}" if group else sender,
            "sender_name": envelope.get("sourceName"),
            "text": str(message.get("message") or ""),
            "raw": data,
        }
        reaction = message.get("reaction")
        if isinstance(reaction, dict):
            return [Inbound(kind="reaction", reaction=reaction.get("emoji"), **base)]
        attachments = [a for a in message.get("attachments") or [] if isinstance(a, dict)]
        if attachments:
            first = attachments[0]
            mime = str(first.get("contentType", ""))
            media = Media(
                provider_id=first.get("id"),
                mime_type=mime or None,
                filename=first.get("filename"),
                size=first.get("size"),
            )
            kind = MEDIA_KINDS.get(mime.split("/")[0], "document")
            return [Inbound(kind=kind, media=media, **base)]
        if base["text"]:
            return [Inbound(kind="text", **base)]
        return [Inbound(kind="unknown", **base)]

    def render(self, reply: Reply, target: Target) -> list[Payload]:
        """One ``/v2/send`` body."""
        return [{"message": reply.text, "recipients": [target.recipient_id]}]

    async def send(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        credentials: dict[str, str],
        config: dict[str, Any],
        payload: Payload,
    ) -> str:
        """POST ``/v2/send`` on the gateway; it answers the message's ``timestamp``."""
        gateway = str(config["gateway_url"]).rstrip("/")
        response = await client.post(
            f"{gateway}/v2/send", json={**payload, "number": config["number"]}
        )
        body = check_response(response, "signal gateway")
        if not isinstance(body, dict) or not body.get("timestamp"):
            raise ProviderError("signal gateway answered without a timestamp")
        return f"{config['number']}:{body['timestamp']}"
