"""OCR: the text of an image (tesseract), or of a PDF (the knowledge base's PDF reader).

The bytes decide what a file is, never the MIME type a provider claimed: a PDF starts with
``%PDF-``; anything else must open as one of :data:`FORMATS` (Pillow reads the header only, so
a decompression bomb is refused by its declared size before a pixel is decoded). Every cap ends
in an :class:`~frontdesk.understanding.transforms.base.Outcome`, never an exception. Pillow and
pytesseract load on first use, and the work runs in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from frontdesk.settings import Settings
from frontdesk.understanding.transforms.base import Outcome

if TYPE_CHECKING:
    from PIL.Image import Image

FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "TIFF", "BMP")
"""The image formats read; others (EPS, which runs Ghostscript, among them) are refused."""
PDF_PAGES = 10
"""Scanned pages of one PDF that are OCRed, the first ones."""


@dataclass(frozen=True, slots=True)
class OcrLimits:
    """The caps that keep one file from holding a worker."""

    max_bytes: int
    max_pixels: int
    timeout: float
    languages: str = "eng"

    @classmethod
    def of(cls, settings: Settings) -> OcrLimits:
        """The limits configured by ``FRONTDESK_OCR_*``."""
        return cls(
            settings.ocr_max_bytes,
            settings.ocr_max_pixels,
            settings.ocr_timeout_seconds,
            settings.ocr_languages,
        )


def is_pdf(data: bytes) -> bool:
    """True when the bytes are a PDF."""
    return data[:5] == b"%PDF-"


async def ocr(data: bytes, limits: OcrLimits) -> Outcome:
    """The text of an image or a PDF, read in a thread."""
    read = read_pdf if is_pdf(data) else read_image
    return await asyncio.to_thread(read, data, limits)


def read_image(data: bytes, limits: OcrLimits) -> Outcome:
    """The text of an image (synchronous)."""
    if len(data) > limits.max_bytes:
        return _too_large(len(data), limits.max_bytes)
    image = _decoded(data, limits)
    if isinstance(image, Outcome):
        return image
    with image:
        return _tesseract(image, limits)


def _decoded(data: bytes, limits: OcrLimits) -> Image | Outcome:
    """The image, fully decoded, or why it cannot be."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    try:
        image = PILImage.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        kinds = ", ".join(FORMATS)
        return Outcome.failed("not_an_image", f"the file is none of {kinds} (read from its bytes)")
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        return Outcome.skipped("too_large", f"the image has over {limits.max_pixels} pixels")
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        return Outcome.failed("not_an_image", f"the image is corrupt ({type(exc).__name__})")
    pixels = image.width * image.height
    if pixels > limits.max_pixels:
        image.close()
        return Outcome.skipped(
            "too_large", f"the image has {pixels} pixels, over the limit of {limits.max_pixels}"
        )
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        image.close()
        return Outcome.failed(
            "not_an_image", f"the image is truncated or corrupt ({type(exc).__name__})"
        )
    return image


def _tesseract(image: Image, limits: OcrLimits) -> Outcome:
    import pytesseract

    try:
        text = pytesseract.image_to_string(image, lang=limits.languages, timeout=limits.timeout)
    except pytesseract.TesseractNotFoundError:
        return Outcome.not_configured("not_installed", "tesseract is not installed")
    except pytesseract.TesseractError as exc:
        return Outcome.failed("ocr_failed", str(exc.message)[:200])
    except RuntimeError:  # pytesseract's "Tesseract process timeout" (the process is killed)
        return Outcome.failed("timeout", f"OCR took over {limits.timeout:g} s")
    except (OSError, ValueError) as exc:
        return Outcome.failed("ocr_failed", type(exc).__name__)
    return Outcome.done(str(text))


def read_pdf(data: bytes, limits: OcrLimits) -> Outcome:
    """The text of a PDF: its text layer, and its first scanned pages OCRed (synchronous)."""
    if len(data) > limits.max_bytes:
        return _too_large(len(data), limits.max_bytes)
    from frontdesk.knowledge.ingest import pdf
    from frontdesk.knowledge.ingest.base import IngestError, Limits

    caps = Limits(ocr=True, ocr_timeout=limits.timeout, ocr_pages=PDF_PAGES)
    try:
        extracted = pdf.parse(data, "document.pdf", caps)
    except IngestError as exc:
        return Outcome.failed("unreadable", exc.detail)
    return Outcome.done("\n\n".join(s.text.strip() for s in extracted.sections))


def _too_large(size: int, limit: int) -> Outcome:
    return Outcome.skipped("too_large", f"the file is {size} bytes, over the limit of {limit}")
