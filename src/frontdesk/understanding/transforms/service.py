"""Reading stored files: which transform applies, the ``media.transform`` job, the results.

A customer's file is read once, right after it is stored: by the ``channel.media`` job that
fetched it (it still holds the bytes), or, for a file posted with the webhook itself, by a
``media.transform`` job intake queues beside it. Both jobs carry the conversation's ordering
key and are queued before the message's ``message.process`` job, so the message is processed
after its files were read and :func:`message_text` finds their text. The outcome is stored on
the file's ``channel_media`` row: ``transform`` (``ocr`` | ``transcript``), ``transform_status``
(``done`` | ``not_configured`` | ``failed`` | ``skipped``), ``transform_error`` and
``extracted_text``.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from frontdesk.channels.files import media_aad
from frontdesk.channels.models import ChannelMedia
from frontdesk.core.logging import get_logger
from frontdesk.intake.models import RawMessage
from frontdesk.queue.base import ClaimedJob, NewJob, PermanentJobError
from frontdesk.runtime import Runtime
from frontdesk.understanding.transforms.base import Outcome
from frontdesk.understanding.transforms.ocr import OcrLimits, ocr
from frontdesk.understanding.transforms.transcribe import Audio, transcribe

TRANSFORM = "media.transform"
MAX_TEXT = 100_000
"""Characters of extracted text kept per file."""
Transform = Literal["ocr", "transcript"]
log = get_logger("frontdesk.understanding.transforms")


def planned(kind: str, mime_type: str | None) -> Transform | None:
    """The transform that reads a file: OCR for images and PDFs, transcription for audio.

    ``mime_type`` is the sniffed one; ``kind`` is what the message said it sent (a voice
    note in an MP4 box sniffs as video, an unknown image format as bytes).
    """
    mime = mime_type or ""
    if mime.startswith("image/") or mime == "application/pdf" or kind == "image":
        return "ocr"
    if mime.startswith("audio/") or kind == "audio":
        return "transcript"
    return None


def transform_job(tenant_id: str, media_id: str, ordering_key: str | None) -> NewJob:
    """The job that reads one file stored at intake (in its conversation's turn)."""
    return NewJob(
        kind=TRANSFORM,
        tenant_id=tenant_id,
        payload={"media_id": media_id},
        priority=1,
        ordering_key=ordering_key,
    )


async def read_file(
    runtime: Runtime,
    tenant_id: str,
    kind: str,
    mime_type: str | None,
    filename: str | None,
    data: bytes,
) -> dict[str, Any]:
    """The transform columns of a stored file: its text, or why not (never raises)."""
    which = planned(kind, mime_type)
    if which is None:
        return columns(None, Outcome.skipped("no_transform", f"nothing reads a {kind} file"))
    try:
        if which == "ocr":
            outcome = await ocr(data, OcrLimits.of(runtime.settings))
        else:
            outcome = await transcribe(runtime, tenant_id, Audio(data, filename, mime_type))
    except Exception:  # one unreadable file must never fail its message
        log.exception("transform_failed", transform=which)
        outcome = Outcome.failed("error", "unexpected error")
    return columns(which, outcome)


def columns(which: Transform | None, outcome: Outcome) -> dict[str, Any]:
    """The ``channel_media`` columns that store ``outcome``."""
    text = outcome.text[:MAX_TEXT] if outcome.text is not None else None
    return {
        "transform": which,
        "transform_status": outcome.status,
        "transform_error": outcome.error,
        "extracted_text": text,
    }


async def run_transform(runtime: Runtime, session: AsyncSession, job: ClaimedJob) -> None:
    """Handle a ``media.transform`` job: read the stored file and keep what it says."""
    media_id = job.payload.get("media_id")
    row = await session.get(ChannelMedia, media_id, options=[undefer(ChannelMedia.data)])
    if row is None or row.tenant_id != job.tenant_id:
        raise PermanentJobError("media row not found")
    if row.status != "stored" or row.data is None or row.transform_status is not None:
        return
    data = b""  # a file nothing reads is not decrypted
    if planned(row.kind, row.mime_type) is not None:
        data = await runtime.keyring.decrypt(session, row.tenant_id, row.data, media_aad(row.id))
    values = await read_file(runtime, row.tenant_id, row.kind, row.mime_type, row.filename, data)
    await runtime.db.begin_write(session)
    for name, value in values.items():
        setattr(row, name, value)


async def message_text(session: AsyncSession, tenant_id: str, raw_message_id: str) -> str | None:
    """The text read from a message's files, when the message has no text of its own.

    ``None`` when it has text, or none of its files has been read to any text (yet).
    """
    raw = await session.get(RawMessage, raw_message_id)
    if raw is None or raw.tenant_id != tenant_id or str(raw.payload.get("text") or "").strip():
        return None
    texts = await session.scalars(
        select(ChannelMedia.extracted_text)
        .where(
            ChannelMedia.tenant_id == tenant_id,
            ChannelMedia.raw_message_id == raw_message_id,
            ChannelMedia.transform_status == "done",
        )
        .order_by(ChannelMedia.id)
    )
    joined = "\n\n".join(text.strip() for text in texts if text and text.strip())
    return joined or None
