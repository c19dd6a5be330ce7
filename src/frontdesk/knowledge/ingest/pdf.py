"""PDF: text per page with pypdf; pages without a text layer are OCRed with tesseract."""

from __future__ import annotations

import io
import logging

from frontdesk.knowledge.chunking import Extracted, Section
from frontdesk.knowledge.ingest.base import IngestError, Limits, stem

MIN_TEXT = 20  # characters below which a page counts as scanned


def parse(data: bytes, name: str, limits: Limits) -> Extracted:
    """One section per page; encrypted or corrupt files are refused."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError(f"{name}: the PDF is encrypted")
        pages = list(reader.pages)
    except PdfReadError as exc:
        raise IngestError(f"{name}: corrupt PDF ({exc})") from exc
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise IngestError(f"{name}: corrupt PDF ({type(exc).__name__})") from exc
    sections = []
    scanned = 0
    for number, page in enumerate(pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception as exc:  # pypdf raises many types on damaged content streams
            raise IngestError(f"{name}: page {number} is unreadable") from exc
        if len(text.strip()) < MIN_TEXT and limits.ocr:
            scanned += 1
            if not limits.ocr_pages or scanned <= limits.ocr_pages:
                text = _ocr(page, name, number, limits.ocr_timeout) or text
        if text.strip():
            sections.append(Section(text=text, page=number))
    meta = reader.metadata
    title = str(meta.title) if meta is not None and meta.title else stem(name)
    return Extracted(title=title, sections=sections, meta={"pages": len(pages)})


def _ocr(page: object, name: str, number: int, timeout: float) -> str:
    """Text of the page's images, read by tesseract (``timeout`` seconds each, 0: no limit)."""
    import pytesseract

    texts = []
    for image in getattr(page, "images", []):
        try:
            texts.append(pytesseract.image_to_string(image.image, timeout=timeout))
        except (pytesseract.TesseractError, OSError, ValueError) as exc:
            raise IngestError(f"{name}: OCR of page {number} failed") from exc
        except RuntimeError as exc:  # pytesseract's "Tesseract process timeout"
            raise IngestError(f"{name}: OCR of page {number} timed out") from exc
    return "\n".join(t.strip() for t in texts if t.strip())
