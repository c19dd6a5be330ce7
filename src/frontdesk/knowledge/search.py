"""Hybrid search: vector and BM25 scores fused by a gated, weighted sum, after the filters.

Fusion: the vector score is the cosine similarity (clipped to 0..1); the keyword score is BM25
over the query's self score (the share of the query's IDF mass a chunk matches, 0..1, see
:mod:`frontdesk.knowledge.keyword`); the fused score is ``alpha * vector + (1 - alpha) *
keyword`` (alpha 0.6 by default). The keyword part is gated: it counts for a chunk only when the
vector search puts that chunk within ``margin`` (0.15 cosine by default) of its best one, or when
the chunk matches nearly all of the query's information (:data:`STRONG_KEYWORD`: an exact code
or name the embedding model cannot know). So keyword evidence breaks near-ties and finds exact
terms, but a partial keyword match never lifts a chunk the embedding clearly ranks lower over
a better one, which equal-weight reciprocal rank fusion and an ungated sum both do (measured in
``bench/retrieval.py``). Both parts are absolute, so the thresholds (``min_score`` and the
answer floor) apply to the fused score directly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.errors import NotFound
from frontdesk.knowledge import documents
from frontdesk.knowledge.embeddings import Vectors
from frontdesk.knowledge.entities import detect_entity, normalise
from frontdesk.knowledge.index import ChunkInfo, KnowledgeBase, Snapshot
from frontdesk.knowledge.models import KbChunk, KbDocument
from frontdesk.knowledge.schemas import QueryFilters, QueryHit, QueryRequest, QueryResponse
from frontdesk.knowledge.sql_store import top_k

POOL = 50  # candidates taken from each list before fusion
STRONG_KEYWORD = 0.75  # a chunk matching this share of the query's information always counts


@dataclass(frozen=True, slots=True)
class Scored:
    """A chunk position with its fused and per-method scores."""

    position: int
    score: float
    vector: float
    keyword: float


def _matches(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, list):
        return any(_matches(value, w) for w in wanted)
    if isinstance(value, list):
        return wanted in value
    return bool(value == wanted)


def _keep(chunk: ChunkInfo, filters: QueryFilters, entity: str | None) -> bool:
    if filters.document_type and chunk.doc_type not in filters.document_type:
        return False
    if filters.source and chunk.source not in filters.source:
        return False
    if filters.document_id and chunk.document_id not in filters.document_id:
        return False
    if entity is not None and (chunk.entity is None or normalise(chunk.entity) != entity):
        return False
    if filters.date_range is not None:
        start, end = filters.date_range.start, filters.date_range.end
        if (start and chunk.date < _aware(start)) or (end and chunk.date > _aware(end)):
            return False
    return all(_matches(chunk.doc_meta.get(k), v) for k, v in filters.metadata.items())


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def candidate_mask(
    snapshot: Snapshot, filters: QueryFilters, entity: str | None
) -> npt.NDArray[np.bool_] | None:
    """Which chunks pass the filters (None: all of them)."""
    has_filter = any(
        [
            filters.document_type,
            filters.source,
            filters.document_id,
            filters.date_range,
            filters.metadata,
            entity,
        ]
    )
    if not has_filter:
        return None
    wanted = normalise(entity) if entity else None
    return np.fromiter(
        (_keep(c, filters, wanted) for c in snapshot.chunks), dtype=bool, count=len(snapshot.chunks)
    )


def fuse(
    vector_hits: list[tuple[int, float]],
    keyword_scores: npt.NDArray[np.float32],
    mask: npt.NDArray[np.bool_] | None,
    mode: str,
    alpha: float,
    margin: float,
    k: int,
) -> list[Scored]:
    """Combine both lists into the ``k`` best chunks, best first (see the module's docstring)."""
    norm = keyword_scores.copy()
    if mask is not None:
        norm[~mask] = 0.0
    vector = {pos: max(0.0, min(1.0, score)) for pos, score in vector_hits}
    floor = min(vector.values()) if vector else 0.0
    best = max(vector.values()) if vector else 0.0
    positions = set(vector)
    if mode != "vector":
        positions.update(int(p) for p in top_k(np.where(norm > 0, norm, -np.inf), POOL))
    scored = []
    for pos in positions:
        v = vector.get(pos, floor if mode == "hybrid" else 0.0)
        kw = float(norm[pos]) if norm.size else 0.0
        gated = kw if best - v <= margin or kw >= STRONG_KEYWORD else 0.0
        total = {"vector": v, "keyword": kw}.get(mode, alpha * v + (1 - alpha) * gated)
        scored.append(Scored(pos, total, v, kw))
    scored.sort(key=lambda s: (-s.score, s.position))
    return scored[:k]


async def resolve_entity(snapshot: Snapshot, request: QueryRequest) -> str | None:
    """The entity to filter by: the one given, else the one the conversation names."""
    if request.filters.entity:
        return request.filters.entity
    if not request.track_entity or not snapshot.entities:
        return None
    return detect_entity([request.query, *reversed(request.context)], snapshot.entities)


async def search(
    session: AsyncSession,
    kb: KnowledgeBase,
    tenant_id: str,
    request: QueryRequest,
    query_vector: Vectors | None = None,
) -> QueryResponse:
    """Run one query against a namespace (``query_vector``: the query already encoded)."""
    started = time.perf_counter()
    try:
        namespace = await documents.get_namespace(session, tenant_id, request.namespace)
    except NotFound:  # nothing loaded yet is not an error for a bot asking
        return QueryResponse(results=[], entity=None, latency_ms=_ms(started))
    target = documents.ref(namespace)
    snapshot = await kb.snapshot(session, target)
    entity = await resolve_entity(snapshot, request)
    mask = candidate_mask(snapshot, request.filters, entity)
    if not snapshot.chunks or (mask is not None and not mask.any()):
        return QueryResponse(results=[], entity=entity, latency_ms=_ms(started))
    vector_hits: list[tuple[int, float]] = []
    if request.mode != "keyword":
        if query_vector is None:
            query_vector = (await kb.embedder.embed([request.query]))[0]
        candidates = None if mask is None else [snapshot.chunks[i].id for i in np.flatnonzero(mask)]
        hits = await kb.store.search(session, target, query_vector, POOL, candidates)
        vector_hits = [(snapshot.position[c], s) for c, s in hits if c in snapshot.position]
    keyword_scores = (
        snapshot.keyword.scores(request.query)
        if request.mode != "vector"
        else np.zeros(len(snapshot.chunks), dtype=np.float32)
    )
    fused = fuse(
        vector_hits,
        keyword_scores,
        mask,
        request.mode,
        kb.settings.kb_hybrid_alpha,
        kb.settings.kb_hybrid_margin,
        request.top_k,
    )
    if request.min_score is not None:
        fused = [s for s in fused if s.score >= request.min_score]
    results = await _hydrate(session, tenant_id, snapshot, fused)
    return QueryResponse(results=results, entity=entity, latency_ms=_ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


async def _hydrate(
    session: AsyncSession, tenant_id: str, snapshot: Snapshot, fused: list[Scored]
) -> list[QueryHit]:
    if not fused:
        return []
    ids = [snapshot.chunks[s.position].id for s in fused]
    rows = (
        await session.execute(
            select(KbChunk, KbDocument)
            .join(KbDocument, KbDocument.id == KbChunk.document_id)
            .where(KbChunk.tenant_id == tenant_id, KbChunk.id.in_(ids))
        )
    ).all()
    found = {chunk.id: (chunk, document) for chunk, document in rows}
    hits = []
    for scored in fused:
        pair = found.get(snapshot.chunks[scored.position].id)
        if pair is None:  # deleted since the snapshot was taken
            continue
        chunk, document = pair
        hits.append(
            QueryHit(
                chunk_id=chunk.id,
                document_id=document.id,
                content=chunk.text,
                score=round(scored.score, 4),
                scores={"vector": round(scored.vector, 4), "keyword": round(scored.keyword, 4)},
                metadata=chunk_metadata(chunk, document),
            )
        )
    return hits


def chunk_metadata(chunk: KbChunk, document: KbDocument) -> dict[str, Any]:
    """What a result says about where it comes from."""
    meta: dict[str, Any] = {
        **document.meta,
        **chunk.meta,
        "title": document.title,
        "source": document.source,
        "document_type": document.doc_type,
        "position": chunk.position,
        "created_at": document.created_at.isoformat(),
    }
    if document.url:
        meta["url"] = document.url
    if document.entity:
        meta["entity"] = document.entity
    if document.doc_date:
        meta["date"] = document.doc_date.isoformat()
    return meta
