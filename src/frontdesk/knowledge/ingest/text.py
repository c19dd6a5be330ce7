"""Plain text, Markdown (sections under their heading path) and RTF (striprtf)."""

from __future__ import annotations

import re

from frontdesk.knowledge.chunking import Extracted, Section
from frontdesk.knowledge.ingest.base import IngestError, Limits, stem

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else Latin-1 when the bytes hold no NUL (i.e. not binary)."""
    if b"\x00" in data[:8192]:
        raise IngestError(f"{name}: binary content where text was expected")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse_text(data: bytes, name: str, limits: Limits) -> Extracted:
    """One section."""
    return Extracted(title=stem(name), sections=[Section(text=decode(data, name))])


def markdown_sections(text: str) -> tuple[str, list[Section]]:
    """Sections at each heading, with the heading path; the first H1 is the title."""
    title = ""
    path: list[str] = []
    sections = [Section()]
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            level, heading = len(match.group(1)), match.group(2)
            title = title or (heading if level == 1 else "")
            path = [*path[: level - 1], heading]
            sections.append(Section(heading_path=list(path)))
        else:
            sections[-1].text += line + "\n"
    return title, [s for s in sections if s.text.strip()]


def parse_markdown(data: bytes, name: str, limits: Limits) -> Extracted:
    """Sections under headings."""
    title, sections = markdown_sections(decode(data, name))
    return Extracted(title=title or stem(name), sections=sections)


def parse_rtf(data: bytes, name: str, limits: Limits) -> Extracted:
    """RTF control words stripped."""
    from striprtf.striprtf import rtf_to_text

    raw = decode(data, name)
    if not raw.lstrip().startswith("{\\rtf"):
        raise IngestError(f"{name}: not an RTF document")
    try:
        text = rtf_to_text(raw, errors="ignore")  # type: ignore[no-untyped-call]
    except Exception as exc:  # striprtf raises plain errors on malformed groups
        raise IngestError(f"{name}: corrupt RTF ({type(exc).__name__})") from exc
    return Extracted(title=stem(name), sections=[Section(text=text)])
