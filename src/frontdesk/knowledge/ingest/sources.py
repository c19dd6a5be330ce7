"""Where documents come from: each source yields parsed documents or per-document errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from frontdesk.core.logging import get_logger
from frontdesk.knowledge.documents import DocumentInput
from frontdesk.knowledge.ingest.base import IngestError, Limits
from frontdesk.knowledge.ingest.registry import parser_for
from frontdesk.settings import Settings

log = get_logger("frontdesk.knowledge.ingest")


@dataclass(frozen=True, slots=True)
class Outcome:
    """One source item: its document, or why it failed."""

    source: str
    document: DocumentInput | None = None
    error: str | None = None


Outcomes = AsyncIterator[Outcome]


def limits_of(settings: Settings) -> Limits:
    """The parsing caps from settings."""
    return Limits(max_unzipped_bytes=settings.kb_max_unzipped_bytes, ocr=settings.kb_ocr)


async def parse_bytes(
    data: bytes,
    name: str,
    source: str,
    limits: Limits,
    content_type: str | None = None,
    url: str | None = None,
) -> DocumentInput:
    """Parse a file's bytes in a worker thread into a document input."""
    doc_type, parse = parser_for(name, content_type)
    extracted = await asyncio.to_thread(parse, data, name, limits)
    return DocumentInput(source=source, doc_type=doc_type, extracted=extracted, url=url)


async def outcome_of(
    data: bytes,
    name: str,
    source: str,
    limits: Limits,
    content_type: str | None = None,
    url: str | None = None,
) -> Outcome:
    """:func:`parse_bytes`, with an ingestion error turned into a failed outcome."""
    try:
        return Outcome(source, await parse_bytes(data, name, source, limits, content_type, url))
    except IngestError as exc:
        return Outcome(source, error=exc.detail)
    except Exception as exc:  # a parser bug or an exotic file must not stop the other documents
        log.exception("kb_parse_failed", source=source)
        return Outcome(source, error=f"{name}: unreadable ({type(exc).__name__})")
