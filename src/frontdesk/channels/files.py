"""Stored files: type sniffing, the binding of their ciphertext, members' uploads, signed links.

A member uploads a file (``POST /api/v1/channels/media``); a reply names it by id
(``OutboundMedia.media_id``). At send time the id becomes a link to this server,
``{FRONTDESK_PUBLIC_BASE_URL}/media/{id}?expires=…&signature=…``: an HMAC over the id and the
expiry, under a key derived from the master key, valid ``FRONTDESK_MEDIA_LINK_SECONDS``. Every
provider that takes media by URL (WhatsApp, Messenger, Instagram, Telegram, Twilio, Slack) fetches
it from there, as they already reach this server's webhooks; channels without media get the link
in the text. The link serves that one file and nothing else; a wrong, expired or unknown link is
a plain 404.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from frontdesk.channels.canonical import Reply, media_kind
from frontdesk.channels.models import ChannelMedia
from frontdesk.core.errors import Conflict, ValidationFailed
from frontdesk.core.ids import new_id
from frontdesk.runtime import Runtime

SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"%PDF-", 0, "application/pdf"),
    (b"OggS", 0, "audio/ogg"),
    (b"ID3", 0, "audio/mpeg"),
    (b"ftyp", 4, "video/mp4"),
    (b"PK\x03\x04", 0, "application/zip"),
)


def sniff(head: bytes) -> str:
    """The media type the bytes show, whatever the provider claimed."""
    for magic, offset, mime in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return mime
    return "application/octet-stream"


def media_aad(media_id: str) -> bytes:
    """Associated data binding an encrypted file to its media row."""
    return f"channel-media:{media_id}".encode()


class FileUnavailable(Conflict):
    """A reply names a stored file that cannot be sent."""

    code, title = "file_unavailable", "File unavailable"


LINK_KEY = "frontdesk media links v1"


def _signature(key: bytes, media_id: str, expires: int) -> str:
    return hmac.new(key, f"{media_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def signed_path(runtime: Runtime, media_id: str, now: float | None = None) -> str:
    """The path of the link to one stored file, valid ``media_link_seconds`` from ``now``."""
    expires = int(now if now is not None else time.time()) + runtime.settings.media_link_seconds
    signature = _signature(runtime.keyring.derive(LINK_KEY), media_id, expires)
    return f"/media/{media_id}?{urlencode({'expires': expires, 'signature': signature})}"


def signed_link(runtime: Runtime, media_id: str, now: float | None = None) -> str:
    """The public link to one stored file (see :func:`signed_path`)."""
    base = runtime.settings.public_base_url
    if not base:
        raise FileUnavailable(
            "Sending a stored file needs FRONTDESK_PUBLIC_BASE_URL: providers fetch it from there"
        )
    return base.rstrip("/") + signed_path(runtime, media_id, now)


def link_is_valid(
    runtime: Runtime, media_id: str, expires: int, signature: str, now: float | None = None
) -> bool:
    """Whether a link's signature is ours and it has not expired (constant-time compare)."""
    if expires < (now if now is not None else time.time()):
        return False
    expected = _signature(runtime.keyring.derive(LINK_KEY), media_id, expires)
    return hmac.compare_digest(signature, expected)


async def sealed(runtime: Runtime, tenant_id: str, media_id: str, content: bytes) -> dict[str, Any]:
    """The media row's columns for a file we hold the bytes of (sniffed and encrypted).

    Past ``FRONTDESK_MEDIA_MAX_BYTES`` the row says it failed, and why.
    """
    limit = runtime.settings.media_max_bytes
    if len(content) > limit:
        error = f"media is {len(content)} bytes, over the limit of {limit}"
        return {"status": "failed", "size": len(content), "error": error}
    async with runtime.db.tenant_session(tenant_id) as session:
        data = await runtime.keyring.encrypt(session, tenant_id, content, media_aad(media_id))
    return {
        "status": "stored",
        "data": data,
        "mime_type": sniff(content[:32]),
        "size": len(content),
    }


async def store_upload(
    runtime: Runtime, tenant_id: str, content: bytes, filename: str
) -> ChannelMedia:
    """Store a member's file (type sniffed, encrypted) and return its row."""
    if not content:
        raise ValidationFailed("The uploaded file is empty")
    media_id = new_id()
    columns = await sealed(runtime, tenant_id, media_id, content)
    row = ChannelMedia(
        id=media_id,
        tenant_id=tenant_id,
        kind=media_kind(columns.get("mime_type")),
        filename=filename,
        **columns,
    )
    async with runtime.db.tenant_tx(tenant_id) as session:
        session.add(row)
    return row


async def with_links(runtime: Runtime, tenant_id: str, reply: Reply) -> Reply:
    """``reply`` with its stored file (if any) named by a signed link the provider can fetch."""
    media = reply.media
    if media is None or media.media_id is None:
        return reply
    async with runtime.db.tenant_session(tenant_id) as session:
        status = await session.scalar(
            select(ChannelMedia.status).where(
                ChannelMedia.tenant_id == tenant_id, ChannelMedia.id == media.media_id
            )
        )
    if status != "stored":
        raise FileUnavailable(f"The file {media.media_id} is {status or 'unknown'}")
    url = signed_link(runtime, media.media_id)
    return reply.model_copy(update={"media": media.model_copy(update={"url": url})})
