"""What every format module shares: the parser contract, limits and the ingestion error."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Protocol

from frontdesk.core.errors import ValidationFailed
from frontdesk.knowledge.chunking import Extracted


class IngestError(ValidationFailed):
    """A source could not be ingested (corrupt, encrypted, too large, unsupported, unreachable)."""

    code, title = "ingest_failed", "Ingestion failed"


class UnsupportedFormat(IngestError):
    """No format module reads this kind of file."""

    code, title = "unsupported_format", "Unsupported format"


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps that protect a worker from hostile files."""

    max_unzipped_bytes: int = 200 * 1024 * 1024
    ocr: bool = True
    ocr_timeout: float = 0.0
    """Seconds tesseract may spend on one image (0: no limit)."""
    ocr_pages: int = 0
    """Scanned pages OCRed at most, the first ones (0: every page)."""


class Parser(Protocol):
    """Reads one file's bytes into sections (synchronous: run it in a thread)."""

    def __call__(self, data: bytes, name: str, limits: Limits) -> Extracted:
        """The document's title, sections and metadata, or :class:`IngestError`."""
        ...


def check_zip(data: bytes, name: str, limits: Limits) -> None:
    """Refuse an Office file that is not a zip or that would inflate past the cap (zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise IngestError(f"{name}: not a valid Office file (corrupt zip)") from exc
    if total > limits.max_unzipped_bytes:
        raise IngestError(
            f"{name}: uncompressed size {total} bytes is over the limit of "
            f"{limits.max_unzipped_bytes} (possible zip bomb)"
        )


def stem(name: str) -> str:
    """A file name without directories and extension, as a fallback title."""
    base = name.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base
