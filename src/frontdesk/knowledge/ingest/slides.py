"""PPTX (python-pptx): one section per slide, titled by the slide title; tables kept whole."""

from __future__ import annotations

import io

from frontdesk.knowledge.chunking import Extracted, Section
from frontdesk.knowledge.ingest.base import IngestError, Limits, check_zip, stem


def parse(data: bytes, name: str, limits: Limits) -> Extracted:
    """Slides in order; the slide number is the section's page."""
    check_zip(data, name, limits)
    from pptx import Presentation

    try:
        deck = Presentation(io.BytesIO(data))
    except Exception as exc:  # python-pptx raises KeyError, ValueError, lxml errors...
        raise IngestError(f"{name}: corrupt PPTX ({type(exc).__name__})") from exc
    sections: list[Section] = []
    for number, slide in enumerate(deck.slides, start=1):
        title_shape = slide.shapes.title
        title = title_shape.text_frame.text.strip() if title_shape is not None else ""
        path = [title] if title else []
        texts = []
        for shape in slide.shapes:
            if shape.has_text_frame and shape is not title_shape:
                texts.append(shape.text_frame.text.strip())
            if getattr(shape, "has_table", False) and shape.has_table:
                rows = [
                    " | ".join(cell.text.strip() for cell in row.cells) for row in shape.table.rows
                ]
                if rows:
                    sections.append(
                        Section(
                            kind="table",
                            header=rows[0],
                            rows=rows[1:],
                            heading_path=path,
                            page=number,
                        )
                    )
        body = "\n\n".join(t for t in texts if t)
        if body:
            sections.append(Section(text=body, heading_path=path, page=number))
    props = deck.core_properties
    return Extracted(title=props.title or stem(name), sections=sections)
