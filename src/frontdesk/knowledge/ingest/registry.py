"""File formats by extension (and content type), each read by its own module."""

from __future__ import annotations

from frontdesk.knowledge.ingest import csv_table, pdf, slides, spreadsheet, text, webpage, word
from frontdesk.knowledge.ingest.base import Parser, UnsupportedFormat

PARSERS: dict[str, tuple[str, Parser]] = {
    "pdf": ("pdf", pdf.parse),
    "docx": ("docx", word.parse),
    "xlsx": ("xlsx", spreadsheet.parse),
    "csv": ("csv", csv_table.parse),
    "pptx": ("pptx", slides.parse),
    "txt": ("txt", text.parse_text),
    "text": ("txt", text.parse_text),
    "md": ("md", text.parse_markdown),
    "markdown": ("md", text.parse_markdown),
    "rtf": ("rtf", text.parse_rtf),
    "html": ("html", webpage.parse),
    "htm": ("html", webpage.parse),
}
CONTENT_TYPES = {
    "application/pdf": "pdf",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "txt",
    "text/markdown": "md",
    "text/csv": "csv",
    "application/rtf": "rtf",
    "text/rtf": "rtf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
}


def parser_for(name: str, content_type: str | None = None) -> tuple[str, Parser]:
    """The document type and parser for a file name (or, failing that, a content type)."""
    base = name.rsplit("/", 1)[-1].lower()
    extension = base.rsplit(".", 1)[-1] if "." in base else ""
    if extension in PARSERS:
        return PARSERS[extension]
    kind = CONTENT_TYPES.get((content_type or "").split(";")[0].strip().lower())
    if kind is not None:
        return PARSERS[kind]
    raise UnsupportedFormat(f"{name}: unsupported file type {extension or content_type!r}")
