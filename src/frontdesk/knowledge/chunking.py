"""Split extracted documents into chunks: ``paragraph``, ``fixed_size`` or ``semantic``.

Sizes are counted in words (whitespace tokens): all-MiniLM-L6-v2 reads at most 256 word pieces,
about 200 English words, so the default chunk fits whole. Two rules hold for every strategy,
learnt from Dify's users: a table stays whole when it fits, and otherwise every piece of it
repeats the header row; a spreadsheet row (a *record*) is always a chunk of its own.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from frontdesk.knowledge.embeddings import Vectors

Strategy = Literal["paragraph", "fixed_size", "semantic"]
EmbedFn = Callable[[Sequence[str]], Awaitable[Vectors]]
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass
class Section:
    """A run of a document under one heading (or one page, one table, one record)."""

    text: str = ""
    heading_path: list[str] = field(default_factory=list)
    page: int | None = None
    kind: Literal["text", "table", "record"] = "text"
    header: str = ""
    rows: list[str] = field(default_factory=list)


@dataclass
class Extracted:
    """What a format module read from a source: a title, sections and document metadata."""

    title: str
    sections: list[Section]
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChunkDraft:
    """A chunk before it is stored: its text and its own metadata."""

    text: str
    meta: dict[str, Any]


class ChunkingConfig(BaseModel):
    """How a namespace splits its documents."""

    model_config = ConfigDict(extra="forbid")

    strategy: Strategy = "paragraph"
    chunk_size: int = Field(default=200, ge=20, le=2000, description="words per chunk, at most")
    overlap: int = Field(default=30, ge=0, description="words repeated between fixed-size chunks")
    semantic_threshold: float = Field(
        default=0.45, ge=-1, le=1, description="a new chunk starts below this sentence similarity"
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkingConfig:
        if self.overlap >= self.chunk_size:
            raise ValueError("overlap must be smaller than chunk_size")
        return self


def words(text: str) -> list[str]:
    """Whitespace tokens."""
    return text.split()


def fixed_windows(text: str, size: int, overlap: int) -> list[str]:
    """Windows of ``size`` words, each repeating the last ``overlap`` words of the previous."""
    tokens = words(text)
    if len(tokens) <= size:
        return [" ".join(tokens)] if tokens else []
    step = size - overlap
    return [" ".join(tokens[i : i + size]) for i in range(0, len(tokens) - overlap, step)]


def sentences(text: str) -> list[str]:
    """Sentences of ``text`` (paragraph breaks always end one)."""
    out: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        out.extend(s.strip() for s in _SENTENCE.split(paragraph.strip()) if s.strip())
    return out


def _pack(pieces: Sequence[str], size: int, overlap: int) -> list[str]:
    """Join consecutive pieces up to ``size`` words; a piece over the size is windowed."""
    chunks: list[str] = []
    current: list[str] = []
    count = 0
    for piece in pieces:
        n = len(words(piece))
        if n > size:
            if current:
                chunks.append("\n\n".join(current))
                current, count = [], 0
            chunks.extend(fixed_windows(piece, size, overlap))
            continue
        if current and count + n > size:
            chunks.append("\n\n".join(current))
            current, count = [], 0
        current.append(piece)
        count += n
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def table_chunks(section: Section, size: int) -> list[str]:
    """The table whole when it fits, else groups of rows each under the header row."""
    whole = "\n".join([section.header, *section.rows]).strip()
    if len(words(whole)) <= size or not section.rows:
        return [whole] if whole else []
    budget = max(1, size - len(words(section.header)))
    chunks: list[str] = []
    group: list[str] = []
    count = 0
    for row in section.rows:
        n = len(words(row))
        if group and count + n > budget:
            chunks.append("\n".join([section.header, *group]))
            group, count = [], 0
        group.append(row)
        count += n
    if group:
        chunks.append("\n".join([section.header, *group]))
    return chunks


async def _semantic(texts: list[str], config: ChunkingConfig, embed: EmbedFn) -> list[str]:
    """Cut between adjacent sentences whose embeddings are less similar than the threshold."""
    if len(texts) < 2:
        return _pack(texts, config.chunk_size, config.overlap)
    vectors = await embed(texts)
    similarity = np.sum(vectors[:-1] * vectors[1:], axis=1)
    groups: list[list[str]] = [[texts[0]]]
    for sentence, sim in zip(texts[1:], similarity, strict=True):
        size = sum(len(words(s)) for s in groups[-1]) + len(words(sentence))
        if sim < config.semantic_threshold or size > config.chunk_size:
            groups.append([sentence])
        else:
            groups[-1].append(sentence)
    out: list[str] = []
    for group in groups:
        out.extend(_pack([" ".join(group)], config.chunk_size, config.overlap))
    return out


async def _text_chunks(
    section: Section, config: ChunkingConfig, embed: EmbedFn | None
) -> list[str]:
    if config.strategy == "fixed_size":
        return fixed_windows(section.text, config.chunk_size, config.overlap)
    if config.strategy == "semantic" and embed is not None:
        return await _semantic(sentences(section.text), config, embed)
    paragraphs = [p.strip() for p in _PARAGRAPH.split(section.text) if p.strip()]
    return _pack(paragraphs, config.chunk_size, config.overlap)


async def chunk_document(
    doc: Extracted, config: ChunkingConfig, embed: EmbedFn | None = None
) -> list[ChunkDraft]:
    """Chunks of ``doc`` with their heading path, page and kind."""
    drafts: list[ChunkDraft] = []
    for section in doc.sections:
        if section.kind == "record":
            texts = [section.text.strip()] if section.text.strip() else []
        elif section.kind == "table":
            texts = table_chunks(section, config.chunk_size)
        else:
            texts = await _text_chunks(section, config, embed)
        meta: dict[str, Any] = {"kind": section.kind}
        if section.heading_path:
            meta["heading_path"] = list(section.heading_path)
        if section.page is not None:
            meta["page"] = section.page
        drafts.extend(ChunkDraft(text, dict(meta)) for text in texts if text.strip())
    return drafts


def indexed_text(title: str, draft_text: str, meta: dict[str, Any]) -> str:
    """What gets embedded and keyword-indexed: the chunk under its title and heading path."""
    context = [title, *meta.get("heading_path", [])]
    prefix = " > ".join(part for part in context if part)
    return f"{prefix}\n{draft_text}" if prefix else draft_text
