"""The embedded vector store: float32 vectors in the SQL database, brute-force scored in numpy.

Each process keeps one matrix per tenant namespace, loaded on first query and reloaded when the
namespace's version moved (another process or request changed it). A dot product of a 384-d query
with 10,000 normalised rows takes well under a millisecond, so no approximate index is needed at
the sizes one SQL database holds comfortably; larger deployments use the Qdrant store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.knowledge.embeddings import Vectors
from frontdesk.knowledge.models import KbVector
from frontdesk.knowledge.vectors import NamespaceRef


@dataclass(frozen=True, slots=True)
class _Matrix:
    version: int
    ids: list[str]
    position: dict[str, int]
    vectors: Vectors


def top_k(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.intp]:
    """Positions of the ``k`` highest finite scores, best first."""
    finite = int(np.isfinite(scores).sum())
    k = min(k, finite)
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    order: npt.NDArray[np.intp] = part[np.argsort(-scores[part], kind="stable")]
    return order


class SqlVectorStore:
    """:class:`~frontdesk.knowledge.vectors.VectorStore` in the application database."""

    name = "sql"

    def __init__(self) -> None:
        self._matrices: dict[tuple[str, str], _Matrix] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def stage(self, ns: NamespaceRef, ids: Sequence[str], vectors: Vectors) -> None:
        """Nothing to do: the vectors commit with the chunks."""

    async def write(
        self, session: AsyncSession, ns: NamespaceRef, ids: Sequence[str], vectors: Vectors
    ) -> None:
        """Insert one row per vector, in the caller's transaction."""
        rows = [
            {
                "id": chunk_id,
                "tenant_id": ns.tenant_id,
                "namespace_id": ns.namespace_id,
                "vector": np.ascontiguousarray(vector, dtype=np.float32).tobytes(),
            }
            for chunk_id, vector in zip(ids, vectors, strict=True)
        ]
        if rows:
            await session.execute(insert(KbVector), rows)

    async def delete(self, session: AsyncSession, ns: NamespaceRef, ids: Sequence[str]) -> None:
        """Delete the rows, in the caller's transaction."""
        ids = list(ids)
        for start in range(0, len(ids), 500):
            await session.execute(
                delete(KbVector).where(
                    KbVector.tenant_id == ns.tenant_id, KbVector.id.in_(ids[start : start + 500])
                )
            )

    async def purge(self, ns: NamespaceRef, ids: Sequence[str]) -> None:
        """Nothing to do: the rows went with the transaction."""

    async def search(
        self,
        session: AsyncSession,
        ns: NamespaceRef,
        query: Vectors,
        k: int,
        candidates: Collection[str] | None = None,
    ) -> list[tuple[str, float]]:
        """Brute-force cosine similarity over the namespace's matrix."""
        matrix = await self._matrix(session, ns)
        if not matrix.ids:
            return []
        scores = matrix.vectors @ np.asarray(query, dtype=np.float32).reshape(-1)
        if candidates is not None:
            keep = [matrix.position[c] for c in candidates if c in matrix.position]
            masked = np.full_like(scores, -np.inf)
            masked[keep] = scores[keep]
            scores = masked
        return [(matrix.ids[i], float(scores[i])) for i in top_k(scores, k)]

    async def _matrix(self, session: AsyncSession, ns: NamespaceRef) -> _Matrix:
        key = (ns.tenant_id, ns.namespace_id)
        cached = self._matrices.get(key)
        if cached is not None and cached.version == ns.version:
            return cached
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._matrices.get(key)
            if cached is not None and cached.version == ns.version:
                return cached
            rows = (
                await session.execute(
                    select(KbVector.id, KbVector.vector)
                    .where(
                        KbVector.tenant_id == ns.tenant_id,
                        KbVector.namespace_id == ns.namespace_id,
                    )
                    .order_by(KbVector.id)
                )
            ).all()
            ids = [row[0] for row in rows]
            if rows:
                vectors = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32)
                vectors = vectors.reshape(len(rows), -1)
            else:
                vectors = np.zeros((0, 0), dtype=np.float32)
            matrix = _Matrix(ns.version, ids, {c: i for i, c in enumerate(ids)}, vectors)
            self._matrices[key] = matrix
            return matrix
