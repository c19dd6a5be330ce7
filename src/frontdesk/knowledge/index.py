"""The process's view of the knowledge base: vector store, embedder and per-namespace snapshots.

A snapshot holds what search needs in memory for one tenant namespace: chunk ids, the metadata
the filters read, and the BM25 index. It is tagged with the namespace's version and rebuilt on the
first query after any process committed a change, so every process stays fresh without messaging.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.knowledge.chunking import indexed_text
from frontdesk.knowledge.embeddings import Embedder, get_embedder
from frontdesk.knowledge.keyword import KeywordIndex
from frontdesk.knowledge.models import KbChunk, KbDocument
from frontdesk.knowledge.vectors import NamespaceRef, VectorStore
from frontdesk.settings import Settings


@dataclass(frozen=True, slots=True)
class ChunkInfo:
    """A chunk's filterable fields, kept in memory."""

    id: str
    document_id: str
    doc_type: str
    source: str
    entity: str | None
    date: datetime
    doc_meta: dict[str, Any]


@dataclass
class Snapshot:
    """One namespace at one version."""

    version: int
    chunks: list[ChunkInfo]
    position: dict[str, int]
    keyword: KeywordIndex
    entities: list[str]

    def mask(self) -> npt.NDArray[np.bool_]:
        """All chunks selected."""
        return np.ones(len(self.chunks), dtype=bool)


def make_store(settings: Settings) -> VectorStore:
    """The configured vector store."""
    if settings.kb_vector_store == "qdrant":
        from frontdesk.knowledge.qdrant_store import QdrantVectorStore

        if not settings.qdrant_url:
            raise ValueError(
                "FRONTDESK_QDRANT_URL is required with FRONTDESK_KB_VECTOR_STORE=qdrant"
            )
        key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return QdrantVectorStore.connect(settings.qdrant_url, key, settings.qdrant_collection)
    from frontdesk.knowledge.sql_store import SqlVectorStore

    return SqlVectorStore()


class KnowledgeBase:
    """Shared by the API and the workers of one process."""

    def __init__(self, settings: Settings, store: VectorStore | None = None) -> None:
        self.settings = settings
        self.store = store or make_store(settings)
        self._snapshots: dict[tuple[str, str], Snapshot] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    @property
    def embedder(self) -> Embedder:
        """The process-wide embedder (the model loads on first use)."""
        return get_embedder(self.settings)

    async def snapshot(self, session: AsyncSession, ns: NamespaceRef) -> Snapshot:
        """The namespace's snapshot at ``ns.version``, loading it when stale."""
        key = (ns.tenant_id, ns.namespace_id)
        cached = self._snapshots.get(key)
        if cached is not None and cached.version == ns.version:
            return cached
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._snapshots.get(key)
            if cached is not None and cached.version == ns.version:
                return cached
            snapshot = await self._load(session, ns)
            self._snapshots[key] = snapshot
            return snapshot

    async def _load(self, session: AsyncSession, ns: NamespaceRef) -> Snapshot:
        rows = (
            await session.execute(
                select(
                    KbChunk.id,
                    KbChunk.text,
                    KbChunk.meta,
                    KbDocument.id,
                    KbDocument.title,
                    KbDocument.doc_type,
                    KbDocument.source,
                    KbDocument.entity,
                    KbDocument.doc_date,
                    KbDocument.created_at,
                    KbDocument.meta,
                )
                .join(KbDocument, KbDocument.id == KbChunk.document_id)
                .where(KbChunk.tenant_id == ns.tenant_id, KbChunk.namespace_id == ns.namespace_id)
                .order_by(KbChunk.id)
            )
        ).all()
        chunks: list[ChunkInfo] = []
        texts: list[str] = []
        for cid, text, meta, did, title, dtype, source, entity, ddate, created, dmeta in rows:
            chunks.append(ChunkInfo(cid, did, dtype, source, entity, ddate or created, dmeta))
            texts.append(indexed_text(title, text, meta))
        keyword = await asyncio.to_thread(KeywordIndex, texts)
        entities = sorted({c.entity for c in chunks if c.entity})
        position = {c.id: i for i, c in enumerate(chunks)}
        return Snapshot(ns.version, chunks, position, keyword, entities)
