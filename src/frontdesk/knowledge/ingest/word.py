"""DOCX (python-docx): paragraphs under their heading path; tables kept whole."""

from __future__ import annotations

import io

from frontdesk.knowledge.chunking import Extracted, Section
from frontdesk.knowledge.ingest.base import IngestError, Limits, check_zip, stem


def parse(data: bytes, name: str, limits: Limits) -> Extracted:
    """Sections split at headings, with each table as one table section."""
    check_zip(data, name, limits)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors...
        raise IngestError(f"{name}: corrupt DOCX ({type(exc).__name__})") from exc
    path: list[str] = []
    sections: list[Section] = [Section()]
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = [" | ".join(c.text.strip() for c in row.cells) for row in block.rows]
            if rows:
                sections.append(
                    Section(kind="table", header=rows[0], rows=rows[1:], heading_path=list(path))
                )
                sections.append(Section(heading_path=list(path)))
            continue
        assert isinstance(block, Paragraph)
        style = (block.style.name if block.style is not None else "") or ""
        text = block.text.strip()
        if style.startswith("Heading") and text:
            level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
            path = [*path[: level - 1], text]
            sections.append(Section(heading_path=list(path)))
        elif text:
            current = sections[-1]
            current.text = f"{current.text}\n\n{text}" if current.text else text
    props = document.core_properties
    meta = {"author": props.author} if props.author else {}
    title = props.title or stem(name)
    return Extracted(title=title, sections=[s for s in sections if s.text or s.rows], meta=meta)
