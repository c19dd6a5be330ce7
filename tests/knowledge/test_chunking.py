"""Chunking strategies and the table / record rules."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from frontdesk.knowledge.chunking import (
    ChunkingConfig,
    Extracted,
    Section,
    chunk_document,
    fixed_windows,
    indexed_text,
    table_chunks,
)
from frontdesk.knowledge.embeddings import get_embedder
from frontdesk.settings import Settings


def words(n: int, prefix: str = "w") -> str:
    return " ".join(f"{prefix}{i}" for i in range(n))


def test_fixed_windows_overlap():
    windows = fixed_windows(words(100), 40, 10)
    assert [len(w.split()) for w in windows] == [40, 40, 40]
    assert windows[0].split()[-10:] == windows[1].split()[:10]
    assert windows[-1].split()[-1] == "w99"
    assert fixed_windows("", 40, 10) == []


def test_overlap_must_be_below_size():
    with pytest.raises(ValidationError):
        ChunkingConfig(chunk_size=50, overlap=50)


async def test_paragraphs_are_packed_up_to_the_size_with_metadata():
    text = "\n\n".join([words(30, "a"), words(30, "b"), words(30, "c"), words(250, "d")])
    doc = Extracted("T", [Section(text=text, heading_path=["Guide", "Setup"], page=3)])
    chunks = await chunk_document(doc, ChunkingConfig(chunk_size=70, overlap=10))
    sizes = [len(c.text.split()) for c in chunks]
    assert sizes[0] == 60 and all(s <= 70 for s in sizes)
    assert chunks[0].meta == {"kind": "text", "heading_path": ["Guide", "Setup"], "page": 3}
    assert chunks[1].text.startswith("c0")


async def test_tables_stay_whole_or_repeat_the_header():
    rows = [f"row{i} | {words(8)}" for i in range(30)]
    table = Section(kind="table", header="Name | Details", rows=rows)
    small = Section(kind="table", header="Name | Details", rows=rows[:3])
    config = ChunkingConfig(chunk_size=60, overlap=0)
    whole = await chunk_document(Extracted("T", [small]), config)
    assert len(whole) == 1 and whole[0].text.count("Name | Details") == 1
    pieces = table_chunks(table, 60)
    assert len(pieces) > 1
    assert all(p.startswith("Name | Details\n") for p in pieces)
    assert sum(p.count("row") for p in pieces) == 30  # every row exactly once


async def test_every_record_is_its_own_chunk():
    sections = [Section(text=f"Plan: P{i}; Price: {i}", kind="record") for i in range(5)]
    chunks = await chunk_document(Extracted("T", sections), ChunkingConfig(chunk_size=500))
    assert [c.text for c in chunks] == [s.text for s in sections]


async def test_semantic_cuts_where_the_topic_changes(tmp_path):
    embedder = get_embedder(Settings(data_dir=tmp_path))
    text = (
        "Our cats love tuna. Cats sleep most of the day. A kitten needs milk. "
        "The invoice is due in thirty days. Late payments incur a fee. Pay by bank transfer."
    )
    config = ChunkingConfig(strategy="semantic", chunk_size=200, overlap=0, semantic_threshold=0.2)
    chunks = await chunk_document(Extracted("T", [Section(text=text)]), config, embedder.embed)
    assert len(chunks) >= 2
    cats = [c for c in chunks if "cat" in c.text.lower()]
    assert cats and all("invoice" not in c.text for c in cats)


def test_indexed_text_carries_title_and_heading_path():
    assert indexed_text("Manual", "Body", {"heading_path": ["A", "B"]}) == "Manual > A > B\nBody"
    assert indexed_text("", "Body", {}) == "Body"
