"""Inbound media: fetched from the provider after intake, size-capped, type-sniffed, encrypted.

Intake never downloads: a message with media gets a ``channel.media`` job per file beside its
processing job (a file posted with the webhook itself, as e-mail attachments are, is stored by
intake at once). The job asks the provider where the file is (WhatsApp media id, Telegram
``getFile``, the Signal gateway's attachment store, or the URL the webhook gave), downloads it
through the SSRF-guarded client (a URL pointing at a private address is refused), stops at
``FRONTDESK_MEDIA_MAX_BYTES``, and stores it as every file is stored
(:func:`~frontdesk.channels.files.sealed`: type sniffed from the first bytes, encrypted with the
tenant's data key). Members read it back through the API; nobody else can.

The job then reads the file it holds (OCR of an image or PDF, transcription of audio: see
:mod:`frontdesk.understanding.transforms`) and stores the text beside it. It carries the
conversation's ordering key and is queued before the message's processing job, so the message
is processed once its files are stored and read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.channels.directory import ChannelInfo
from frontdesk.channels.files import sealed
from frontdesk.channels.models import ChannelMedia
from frontdesk.channels.outbound import api_url
from frontdesk.channels.protocol import ProviderError, check_response
from frontdesk.core.http import UnsafeURL
from frontdesk.core.logging import get_logger
from frontdesk.intake.models import RawMessage
from frontdesk.queue.base import ClaimedJob, NewJob, PermanentJobError
from frontdesk.runtime import Runtime
from frontdesk.understanding.transforms.service import read_file

FETCH = "channel.media"
log = get_logger("frontdesk.channels.media")


class MediaRejected(Exception):
    """The file cannot be kept (too large, unreachable, refused); the reason is the message."""


@dataclass(frozen=True, slots=True)
class Download:
    """Where to fetch a file and how to authenticate."""

    url: str
    headers: dict[str, str]
    auth: tuple[str, str] | None = None


def media_job(tenant_id: str, media_id: str, ordering_key: str | None = None) -> NewJob:
    """The job that fetches (and reads) one inbound file, in its conversation's turn."""
    return NewJob(
        kind=FETCH,
        tenant_id=tenant_id,
        payload={"media_id": media_id},
        priority=1,
        ordering_key=ordering_key,
    )


async def locate(
    client: httpx.AsyncClient, base_url: str, channel: ChannelInfo, media: dict[str, Any]
) -> Download:
    """Where the provider keeps the file of ``media`` (one API call for id-based providers)."""
    creds, kind = channel.credentials, channel.type
    if kind in ("whatsapp", "telegram", "signal") and not media.get("provider_id"):
        raise MediaRejected("the message names no media id")
    if kind == "whatsapp":
        bearer = {"Authorization": f"Bearer {creds['access_token']}"}
        answer = check_response(
            await client.get(
                f"{base_url}/{quote(str(media['provider_id']), safe='')}", headers=bearer
            ),
            kind,
        )
        if not isinstance(answer, dict) or not answer.get("url"):
            raise ProviderError("whatsapp gave no URL for the media")
        return Download(str(answer["url"]), bearer)
    if kind == "telegram":
        answer = check_response(
            await client.get(
                f"{base_url}/bot{creds['bot_token']}/getFile",
                params={"file_id": media["provider_id"]},
            ),
            kind,
        )
        path = (answer.get("result") or {}).get("file_path") if isinstance(answer, dict) else None
        if not path:
            raise ProviderError("telegram gave no file_path for the media")
        return Download(f"{base_url}/file/bot{creds['bot_token']}/{path}", {})
    if kind == "signal":
        gateway = str(channel.config["gateway_url"]).rstrip("/")
        return Download(f"{gateway}/v1/attachments/{quote(str(media['provider_id']), safe='')}", {})
    if not media.get("url"):
        raise MediaRejected("the message names no media URL")
    if kind == "twilio":
        return Download(str(media["url"]), {}, (creds["account_sid"], creds["auth_token"]))
    if kind == "slack":
        return Download(str(media["url"]), {"Authorization": f"Bearer {creds['bot_token']}"})
    if kind == "email" and creds.get("api_key"):  # Mailgun's storage takes the API key
        return Download(str(media["url"]), {}, ("api", creds["api_key"]))
    return Download(str(media["url"]), {})


async def download(client: httpx.AsyncClient, where: Download, limit: int) -> bytes:
    """The file's bytes, refused past ``limit`` bytes (declared or counted)."""
    async with client.stream("GET", where.url, headers=where.headers, auth=where.auth) as r:
        if r.status_code == 429 or r.status_code >= 500:
            raise ProviderError(f"media download answered {r.status_code}", retry_after=0.0)
        if r.status_code >= 400:
            raise MediaRejected(f"media download answered {r.status_code}")
        declared = r.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise MediaRejected(f"media is {declared} bytes, over the limit of {limit}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in r.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise MediaRejected(f"media is over the limit of {limit} bytes")
            chunks.append(chunk)
    return b"".join(chunks)


def described(payload: dict[str, Any], media_id: str) -> dict[str, Any]:
    """How the stored message describes the file of ``media_id`` (one of several, maybe)."""
    files = [payload.get("media"), *(payload.get("attachments") or [])]
    mine = [f for f in files if isinstance(f, dict) and f.get("id") == media_id]
    return mine[0] if mine else payload.get("media") or {}  # rows stored before files had ids


async def fetch_media(runtime: Runtime, session: AsyncSession, job: ClaimedJob) -> None:
    """Handle a ``channel.media`` job."""
    row = await session.get(ChannelMedia, job.payload.get("media_id"))
    if row is None or row.tenant_id != job.tenant_id or row.channel_id is None:
        raise PermanentJobError("media row not found")  # (an upload is never fetched)
    if row.status == "stored":
        return
    raw = await session.get(RawMessage, row.raw_message_id)
    media = described(raw.payload, row.id) if raw else {}
    channel = await runtime.channels.get(row.tenant_id, row.channel_id, session)
    client = runtime.channels.client()
    try:
        where = await locate(client, api_url(runtime, channel.type), channel, media)
        data = await download(client, where, runtime.settings.media_max_bytes)
    except (MediaRejected, UnsafeURL) as e:
        reason = e.detail if isinstance(e, UnsafeURL) else str(e)
        await runtime.db.begin_write(session)
        row.status, row.error = "failed", reason[:500]
        log.warning("media_rejected", media_id=row.id, channel=channel.type, reason=reason)
        return
    except (ProviderError, httpx.HTTPError) as e:
        if job.attempts < job.max_attempts:
            raise
        await runtime.db.begin_write(session)
        row.status, row.error = "failed", f"{channel.type}: {e}"[:500]
        return
    columns = await sealed(runtime, row.tenant_id, row.id, data)
    if columns["status"] == "stored":
        columns |= await read_file(
            runtime, row.tenant_id, row.kind, columns["mime_type"], row.filename, data
        )
    await runtime.db.begin_write(session)
    for name, value in columns.items():
        setattr(row, name, value)
