"""E-mail: inbound through Mailgun's routes, outbound through SMTP (aiosmtplib).

Mailgun signs ``timestamp + token`` with the webhook signing key (hex HMAC-SHA256). The signature
does not cover the body, so a token is accepted once per process and only within 15 minutes.
Threads follow ``References`` / ``In-Reply-To`` / ``Message-ID``: a reply joins the thread of the
first message it references.

Attachments arrive two ways. A ``forward()`` route posts them as the files ``attachment-1``,
``attachment-2``… of a multipart body: intake stores them at once. A ``store(notify=…)`` route
posts an ``attachments`` JSON list of URLs on Mailgun's storage: they are fetched after intake
with the channel's ``api_key`` credential, like any provider's media.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import time
from collections import OrderedDict
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from email.utils import make_msgid, parseaddr
from typing import Any

import aiosmtplib
import httpx
import orjson

from frontdesk.channels.canonical import Inbound, Media, Reply, media_kind
from frontdesk.channels.protocol import (
    Capabilities,
    Parsed,
    Payload,
    PlainWebhook,
    ProviderError,
    Target,
    WebhookRequest,
    form_body,
    same,
)
from frontdesk.core.errors import BadRequest, Unauthorized

MAX_AGE = 900
SEEN_TOKENS = 100_000
_seen: OrderedDict[str, float] = OrderedDict()


def mailgun_signature(signing_key: str, timestamp: str, token: str) -> str:
    """The ``signature`` field Mailgun sends with ``timestamp`` and ``token``."""
    return hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()


def _first_time(token: str, now: float) -> bool:
    while _seen and next(iter(_seen.values())) < now - MAX_AGE:
        _seen.popitem(last=False)
    if token in _seen:
        return False
    _seen[token] = now
    if len(_seen) > SEEN_TOKENS:
        _seen.popitem(last=False)
    return True


def email_form(request: WebhookRequest) -> tuple[dict[str, str], list[Media]]:
    """The posted fields and files, from a urlencoded or a multipart body."""
    if request.content_type == "application/x-www-form-urlencoded":
        return form_body(request), []
    head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    if not message.is_multipart():
        raise BadRequest("Malformed multipart body")
    fields: dict[str, str] = {}
    files: list[Media] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        filename = part.get_filename()
        if filename is None:
            fields[name] = payload.decode("utf-8", "replace")
        elif name.startswith("attachment-"):
            files.append(
                Media.posted(payload, filename=filename[:255], mime_type=part.get_content_type())
            )
    if not fields:
        raise BadRequest("Malformed multipart body")
    return fields, files


def stored_attachments(fields: dict[str, str]) -> list[Media]:
    """The files a ``store(notify=…)`` route lists: URLs on Mailgun's storage."""
    try:
        listed = orjson.loads(fields.get("attachments") or "[]")
    except orjson.JSONDecodeError:
        raise BadRequest("The attachments field is not a JSON list") from None
    if not isinstance(listed, list) or not all(isinstance(item, dict) for item in listed):
        raise BadRequest("The attachments field is not a JSON list of objects")
    return [
        Media(
            url=str(item.get("url") or "") or None,
            mime_type=str(item.get("content-type") or "")[:100] or None,
            filename=str(item.get("name") or "")[:255] or None,
            size=item["size"] if isinstance(item.get("size"), int) else None,
        )
        for item in listed
    ]


def _headers(fields: dict[str, str]) -> dict[str, str]:
    out = {k.lower(): v for k, v in fields.items()}
    try:
        listed = orjson.loads(fields.get("message-headers", "[]"))
    except orjson.JSONDecodeError:
        listed = []
    for pair in listed if isinstance(listed, list) else []:
        if isinstance(pair, list) and len(pair) == 2:
            out.setdefault(str(pair[0]).lower(), str(pair[1]))
    return out


def thread_of(message_id: str, in_reply_to: str, references: str) -> str:
    """The thread a message belongs to: the root of its references, else itself."""
    refs = references.split()
    return (refs[0] if refs else in_reply_to.strip()) or message_id


class EmailAdapter(PlainWebhook):
    """Mailgun inbound, SMTP outbound."""

    type = "email"
    capabilities = Capabilities(max_buttons=0, max_list_rows=0, media=False, max_text=100_000)
    content_types = ("application/x-www-form-urlencoded", "multipart/form-data")
    required_credentials = ("signing_key",)
    required_config = ("smtp_host", "from_address")
    generated_credential = None

    def verify(self, request: WebhookRequest, credentials: dict[str, str]) -> None:
        """Check the signature, the 15-minute window and that the token is fresh."""
        fields, _ = email_form(request)
        timestamp, token = fields.get("timestamp", ""), fields.get("token", "")
        if not (timestamp and token and fields.get("signature")):
            raise Unauthorized("missing Mailgun signature fields")
        try:
            age = abs(request.now - int(timestamp))
        except ValueError:
            raise Unauthorized("Mailgun timestamp is not a number") from None
        if age > MAX_AGE:
            raise Unauthorized("Mailgun timestamp is outside the 15-minute window")
        expected = mailgun_signature(credentials["signing_key"], timestamp, token)
        if not same(fields["signature"], expected):
            raise Unauthorized("Mailgun signature does not match")
        if not _first_time(token, time.monotonic()):
            raise Unauthorized("Mailgun token was already used (replay)")

    def parse(self, request: WebhookRequest) -> Parsed:
        """The parsed e-mail with its attachments, threaded on its references."""
        fields, files = email_form(request)
        files += stored_attachments(fields)
        headers = _headers(fields)
        sender = parseaddr(headers.get("from", "") or fields.get("sender", ""))
        address = sender[1] or fields.get("sender", "")
        message_id = headers.get("message-id", "").strip()
        if not address or not message_id:
            raise BadRequest("An e-mail needs a sender and a Message-Id")
        thread = thread_of(
            message_id, headers.get("in-reply-to", ""), headers.get("references", "")
        )
        text = (fields.get("stripped-text") or fields.get("body-plain") or "").strip()
        context = {
            "subject": fields.get("subject", ""),
            "message_id": message_id,
            "references": " ".join(filter(None, [headers.get("references", ""), message_id])),
        }
        raw = {k: v for k, v in fields.items() if k not in ("signature", "token")}
        return [
            Inbound(
                external_id=message_id[:200],
                kind="text" if text or not files else media_kind(files[0].mime_type),
                sender_id=address.lower(),
                thread_id=thread[:200],
                sender_name=sender[0] or None,
                text=text,
                media=files[0] if files else None,
                attachments=files[1:],
                context=context,
                raw=raw,
            )
        ]

    def render(self, reply: Reply, target: Target) -> list[Payload]:
        """One e-mail: plain text plus an HTML alternative, threaded under the inbound one."""
        subject = str(target.context.get("subject") or "Your message")
        if not subject.lower().startswith("re:"):
            subject = f"Re: {subject}"
        paragraphs = "".join(
            f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in reply.text.split("\n\n")
        )
        return [
            {
                "to": target.recipient_id,
                "subject": subject,
                "text": reply.text,
                "html": f"<!doctype html><html><body>{paragraphs}</body></html>",
                "in_reply_to": target.context.get("message_id"),
                "references": target.context.get("references"),
            }
        ]

    async def send(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        credentials: dict[str, str],
        config: dict[str, Any],
        payload: Payload,
    ) -> str:
        """Send through the configured SMTP server; return the Message-ID we set."""
        message = EmailMessage()
        sender = str(config["from_address"])
        message["From"] = sender
        message["To"] = str(payload["to"])
        message["Subject"] = str(payload["subject"])
        message_id = make_msgid(domain=sender.rpartition("@")[2] or None)
        message["Message-ID"] = message_id
        if payload.get("in_reply_to"):
            message["In-Reply-To"] = str(payload["in_reply_to"])
        if payload.get("references"):
            message["References"] = str(payload["references"])
        message.set_content(str(payload["text"]))
        message.add_alternative(str(payload["html"]), subtype="html")
        try:
            await aiosmtplib.send(
                message,
                hostname=str(config["smtp_host"]),
                port=int(config.get("smtp_port", 587)),
                username=credentials.get("smtp_username") or None,
                password=credentials.get("smtp_password") or None,
                start_tls=bool(config.get("smtp_starttls", False)),
                use_tls=bool(config.get("smtp_tls", False)),
                timeout=client.timeout.connect or 10.0,
            )
        except aiosmtplib.SMTPResponseException as e:
            retry = 30.0 if 400 <= e.code < 500 else None
            raise ProviderError(f"SMTP server answered {e.code}: {e.message}", retry) from e
        except (aiosmtplib.SMTPException, OSError) as e:
            raise ProviderError(f"SMTP delivery failed: {e}", retry_after=30.0) from e
        return message_id
