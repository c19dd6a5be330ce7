"""Twilio Programmable Messaging (SMS and WhatsApp), verified by ``X-Twilio-Signature``.

The signature is base64(HMAC-SHA1(auth token, full public URL + every POST parameter's name and
value, sorted by name)). The URL is the one Twilio called, so behind a proxy it must be built from
``FRONTDESK_PUBLIC_BASE_URL``, not from what the proxy forwards.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import httpx
from starlette.responses import Response

from frontdesk.channels.canonical import Inbound, Media, Reply, StatusUpdate
from frontdesk.channels.protocol import (
    Capabilities,
    Parsed,
    Payload,
    ProviderError,
    Target,
    WebhookRequest,
    check_response,
    form_body,
    require_header,
    same,
)
from frontdesk.core.errors import Unauthorized

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read"}
STATUSES |= {"failed": "failed", "undelivered": "failed"}
MEDIA_KINDS = {"image": "image", "audio": "audio", "video": "video"}


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """The ``X-Twilio-Signature`` Twilio sends for a POST of ``params`` to ``url``."""
    data = url + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioAdapter:
    """SMS, MMS and WhatsApp through Twilio's Messages API."""

    type = "twilio"
    capabilities = Capabilities(max_buttons=0, max_list_rows=0, media=True, max_text=1600)
    content_types = ("application/x-www-form-urlencoded",)
    required_credentials = ("account_sid", "auth_token")
    required_config = ("from",)
    generated_credential = None

    def verify(self, request: WebhookRequest, credentials: dict[str, str]) -> None:
        """Recompute the signature over the public URL and the form parameters."""
        given = require_header(request, "X-Twilio-Signature")
        params = form_body(request)
        if not same(given, twilio_signature(credentials["auth_token"], request.url, params)):
            raise Unauthorized("X-Twilio-Signature does not match the URL and parameters")

    def handshake(self, request: WebhookRequest, credentials: dict[str, str]) -> Response | None:
        """Twilio has no handshake."""
        return None

    def ack(self) -> Response | None:
        """Empty TwiML: the reply is sent through the API, not in the webhook answer."""
        return Response(EMPTY_TWIML, media_type="text/xml")

    def parse(self, request: WebhookRequest) -> Parsed:
        """An incoming message, or a status callback."""
        form = form_body(request)
        sid = form.get("MessageSid") or form.get("SmsSid")
        if not sid:
            return []
        status = form.get("MessageStatus")
        if status and "Body" not in form:
            if status not in STATUSES:
                return []
            reason = form.get("ErrorCode")
            return [
                StatusUpdate(
                    provider_message_id=sid,
                    status=STATUSES[status],
                    reason=f"Twilio error {reason}" if reason else None,
                )
            ]
        sender = form.get("From", "")
        base: dict[str, Any] = {
            "external_id": sid,
            "sender_id": sender,
            "thread_id": sender,
            "sender_name": form.get("ProfileName"),
            "text": form.get("Body", ""),
            "raw": form,
        }
        if form.get("ButtonPayload"):
            text = form.get("ButtonText", base.pop("text"))
            return [
                Inbound(kind="button_reply", choice_id=form["ButtonPayload"], text=text, **base)
            ]
        if form.get("Latitude") and form.get("Longitude"):
            location = {"latitude": form["Latitude"], "longitude": form["Longitude"]}
            return [Inbound(kind="location", location=location, **base)]
        if form.get("NumMedia", "0") not in ("", "0"):
            mime = form.get("MediaContentType0", "")
            kind = MEDIA_KINDS.get(mime.split("/")[0], "document")
            media = Media(url=form.get("MediaUrl0"), mime_type=mime or None)
            return [Inbound(kind=kind, media=media, **base)]
        return [Inbound(kind="text", **base)]

    def render(self, reply: Reply, target: Target) -> list[Payload]:
        """One message: body plus an optional media URL."""
        payload: Payload = {"To": target.recipient_id, "Body": reply.text}
        if reply.media is not None:
            payload["MediaUrl"] = reply.media.url
        return [payload]

    async def send(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        credentials: dict[str, str],
        config: dict[str, Any],
        payload: Payload,
    ) -> str:
        """POST the Messages resource (basic auth); the answer carries ``sid``."""
        sid = credentials["account_sid"]
        sender = str(config["from"])
        if str(payload["To"]).startswith("whatsapp:") and not sender.startswith("whatsapp:"):
            sender = f"whatsapp:{sender}"
        response = await client.post(
            f"{base_url}/2010-04-01/Accounts/{sid}/Messages.json",
            auth=(sid, credentials["auth_token"]),
            data={**payload, "From": sender},
        )
        body = check_response(response, "twilio")
        if not isinstance(body, dict) or not body.get("sid"):
            raise ProviderError("twilio answered without a message sid")
        return str(body["sid"])
