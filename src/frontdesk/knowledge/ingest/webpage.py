"""HTML: the main content (trafilatura, scripts and boilerplate dropped), as Markdown sections."""

from __future__ import annotations

from frontdesk.knowledge.chunking import Extracted
from frontdesk.knowledge.ingest.base import IngestError, Limits, stem
from frontdesk.knowledge.ingest.text import decode, markdown_sections


def parse(data: bytes, name: str, limits: Limits) -> Extracted:
    """The page's main text under its headings; its title from the page metadata."""
    import trafilatura

    html = decode(data, name)
    try:
        text = trafilatura.extract(
            html,
            output_format="markdown",
            include_tables=True,
            include_comments=False,
            favor_recall=True,
        )
        meta = trafilatura.extract_metadata(html)
    except Exception as exc:  # lxml and trafilatura raise several types on broken markup
        raise IngestError(f"{name}: unreadable HTML ({type(exc).__name__})") from exc
    heading, sections = markdown_sections(text or "")
    title = (meta.title if meta is not None and meta.title else "") or heading or stem(name)
    extra = {"date": meta.date} if meta is not None and meta.date else {}
    return Extracted(title=title, sections=sections, meta=extra)
