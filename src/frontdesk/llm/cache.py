"""Semantic cache: answers found again by the embedding similarity of their question.

Entries live in ``llm_cache`` (vectors as float32 bytes), keyed by tenant and a scope (model,
system prompt, knowledge version). Each process keeps a numpy matrix per tenant and scope,
loaded on the tenant's first lookup and topped up with newer rows (UUIDv7 ids are ordered)
every ``llm_cache_refresh_seconds`` in the background. A lookup is one matrix-vector product.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database
from frontdesk.core.ids import new_id
from frontdesk.core.logging import get_logger
from frontdesk.core.metrics import Metrics
from frontdesk.knowledge.embeddings import Embedder
from frontdesk.llm.models import LLMCacheEntry
from frontdesk.settings import Settings

Vector = npt.NDArray[np.float32]
log = get_logger("frontdesk.llm.cache")
BLOCK = 1024


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """What a hit returns."""

    answer: str
    model: str
    provider: str
    similarity: float


@dataclass
class _Scope:
    """The vectors of one scope in a matrix that grows by doubling (appends stay cheap)."""

    dim: int
    vectors: Vector = field(init=False)
    expires: npt.NDArray[np.float64] = field(init=False)
    size: int = 0
    answers: list[CachedAnswer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.vectors = np.zeros((16, self.dim), dtype=np.float32)
        self.expires = np.zeros(16, dtype=np.float64)

    def add(self, vector: Vector, answer: CachedAnswer, expires: float) -> None:
        if self.size == len(self.vectors):
            self.vectors = np.concatenate([self.vectors, np.zeros_like(self.vectors)])
            self.expires = np.concatenate([self.expires, np.zeros_like(self.expires)])
        self.vectors[self.size] = vector
        self.expires[self.size] = expires
        self.size += 1
        self.answers.append(answer)

    def best(self, vector: Vector, threshold: float, now: float) -> CachedAnswer | None:
        if not self.size:
            return None
        scores = np.empty(self.size, dtype=np.float32)
        # Row blocks small enough that OpenBLAS stays on this thread: a multithreaded product
        # is no faster at this size and its p99 suffers badly when the cores are busy.
        for start in range(0, self.size, BLOCK):
            end = min(start + BLOCK, self.size)
            np.dot(self.vectors[start:end], vector, out=scores[start:end])
        scores[self.expires[: self.size] <= now] = -1.0
        index = int(np.argmax(scores))
        score = float(scores[index])
        if score < threshold:
            return None
        found = self.answers[index]
        return CachedAnswer(found.answer, found.model, found.provider, score)


@dataclass
class _Tenant:
    scopes: dict[str, _Scope] = field(default_factory=dict)
    last_id: str = ""
    ids: set[str] = field(default_factory=set)
    refreshed: float = 0.0
    refreshing: asyncio.Task[None] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SemanticCache:
    """Lookups and stores for every tenant of this process."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        embedder: Callable[[], Embedder],
        metrics: Metrics | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = db
        self._embedder = embedder
        self._metrics = metrics
        self._threshold = settings.llm_cache_threshold
        self._ttl = timedelta(seconds=settings.llm_cache_ttl_seconds)
        self._refresh = settings.llm_cache_refresh_seconds
        self._now = now
        self._tenants: dict[str, _Tenant] = {}

    async def embed(self, question: str) -> Vector:
        """The question's normalised vector."""
        vectors = await self._embedder().embed([question])
        vector: Vector = np.asarray(vectors[0], dtype=np.float32)
        return vector

    async def lookup(self, tenant_id: str, scope: str, vector: Vector) -> CachedAnswer | None:
        """The best unexpired answer at or above the threshold, counted as a hit or a miss."""
        tenant = await self._loaded(tenant_id)
        found = None
        if scope in tenant.scopes:
            found = tenant.scopes[scope].best(vector, self._threshold, self._now().timestamp())
        if self._metrics is not None:
            self._metrics.llm_cache.labels("hit" if found else "miss").inc()
        return found

    async def store(
        self,
        tenant_id: str,
        scope: str,
        question: str,
        vector: Vector,
        answer: CachedAnswer,
        tokens: tuple[int, int],
    ) -> None:
        """Persist an answer and add it to this process's index."""
        tenant = await self._loaded(tenant_id)
        now = self._now()
        entry = LLMCacheEntry(
            id=new_id(),
            tenant_id=tenant_id,
            scope=scope,
            question=question,
            vector=np.asarray(vector, dtype=np.float32).tobytes(),
            answer=answer.answer,
            model=answer.model,
            provider=answer.provider,
            tokens_in=tokens[0],
            tokens_out=tokens[1],
            expires_at=now + self._ttl,
        )
        async with self._db.tenant_tx(tenant_id) as session:
            session.add(entry)
        self._add(tenant, entry)

    def _add(self, tenant: _Tenant, row: LLMCacheEntry) -> None:
        if row.id in tenant.ids:
            return
        tenant.ids.add(row.id)
        vector = np.frombuffer(row.vector, dtype=np.float32)
        index = tenant.scopes.get(row.scope)
        if index is None:
            index = tenant.scopes[row.scope] = _Scope(len(vector))
        if row.id > tenant.last_id:
            tenant.last_id = row.id
        index.add(
            vector,
            CachedAnswer(row.answer, row.model, row.provider, 1.0),
            row.expires_at.timestamp(),
        )

    async def _loaded(self, tenant_id: str) -> _Tenant:
        """The tenant's index: loaded on first use, then topped up in the background."""
        tenant = self._tenants.setdefault(tenant_id, _Tenant())
        if tenant.refreshed + self._refresh > time.monotonic():
            return tenant
        if not tenant.refreshed:
            await self._top_up(tenant_id, tenant)
        elif tenant.refreshing is None or tenant.refreshing.done():
            # Lookups never wait for the database once the index exists.
            tenant.refreshing = asyncio.create_task(self._top_up(tenant_id, tenant))
        return tenant

    async def _top_up(self, tenant_id: str, tenant: _Tenant) -> None:
        async with tenant.lock:
            if tenant.refreshed + self._refresh > time.monotonic():
                return
            try:
                async with self._db.tenant_session(tenant_id) as session:
                    rows = (
                        await session.scalars(
                            select(LLMCacheEntry)
                            .where(
                                LLMCacheEntry.tenant_id == tenant_id,
                                LLMCacheEntry.id > tenant.last_id,
                                LLMCacheEntry.expires_at > self._now(),
                            )
                            .order_by(LLMCacheEntry.id)
                        )
                    ).all()
            except Exception:
                if not tenant.refreshed:
                    raise
                log.exception("llm_cache_refresh_failed", tenant_id=tenant_id)
                return
            for row in rows:
                self._add(tenant, row)
            tenant.refreshed = time.monotonic()

    async def aclose(self) -> None:
        """Stop background top-ups."""
        tasks = [t.refreshing for t in self._tenants.values() if t.refreshing is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def forget(self, tenant_id: str) -> None:
        """Drop a tenant's in-process index (reloaded on next use)."""
        self._tenants.pop(tenant_id, None)
