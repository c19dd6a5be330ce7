"""The vector store contract: per-namespace nearest-neighbour search over chunk embeddings.

Writes come in three steps so that a store outside the SQL database (Qdrant) can never expose a
half-ingested document: ``stage`` before the SQL transaction (external I/O), ``write`` inside it
(rows that commit together with the chunks), ``purge`` after it commits (old vectors of replaced
or deleted chunks). Search results are joined against committed chunks, so staged vectors of a
transaction that rolled back are never returned.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.knowledge.embeddings import Vectors


@dataclass(frozen=True, slots=True)
class NamespaceRef:
    """Which namespace, and its version (bumped by every committed change to its chunks)."""

    tenant_id: str
    namespace_id: str
    version: int


class VectorStore(Protocol):
    """Stores chunk vectors per tenant namespace and finds the nearest ones."""

    name: str

    async def stage(self, ns: NamespaceRef, ids: Sequence[str], vectors: Vectors) -> None:
        """Before the SQL transaction: upload vectors to an external store (no-op for SQL)."""
        ...

    async def write(
        self, session: AsyncSession, ns: NamespaceRef, ids: Sequence[str], vectors: Vectors
    ) -> None:
        """Inside the SQL transaction that adds the chunks."""
        ...

    async def delete(self, session: AsyncSession, ns: NamespaceRef, ids: Sequence[str]) -> None:
        """Inside the SQL transaction that removes the chunks."""
        ...

    async def purge(self, ns: NamespaceRef, ids: Sequence[str]) -> None:
        """After that transaction committed: drop the removed vectors from an external store."""
        ...

    async def search(
        self,
        session: AsyncSession,
        ns: NamespaceRef,
        query: Vectors,
        k: int,
        candidates: Collection[str] | None = None,
    ) -> list[tuple[str, float]]:
        """The ``k`` nearest chunk ids (cosine similarity, best first), within ``candidates``."""
        ...
