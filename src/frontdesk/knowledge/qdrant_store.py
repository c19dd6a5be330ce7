"""The Qdrant-server vector store, for knowledge bases too large for the embedded one.

One collection holds every tenant's vectors; each point carries its tenant and namespace in the
payload (indexed on a server) and every query filters by both, so tenants never see each other's
points. Point ids are the chunk ids (UUIDs). qdrant-client is imported only when this store is used.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from frontdesk.core.errors import UpstreamError
from frontdesk.knowledge.embeddings import Vectors
from frontdesk.knowledge.vectors import NamespaceRef

if TYPE_CHECKING:
    from qdrant_client import AsyncQdrantClient
    from sqlalchemy.ext.asyncio import AsyncSession


class VectorStoreError(UpstreamError):
    """The vector store failed."""

    code, title = "vector_store_failed", "Vector store failed"


class QdrantVectorStore:
    """:class:`~frontdesk.knowledge.vectors.VectorStore` on a Qdrant collection."""

    name = "qdrant"

    def __init__(self, client: AsyncQdrantClient, collection: str, *, server: bool = True) -> None:
        self._client = client
        self._collection = collection
        self._server = server
        self._ready = False

    @classmethod
    def connect(cls, url: str, api_key: str | None, collection: str) -> QdrantVectorStore:
        """A store talking to the Qdrant server at ``url``."""
        from qdrant_client import AsyncQdrantClient

        return cls(AsyncQdrantClient(url=url, api_key=api_key), collection)

    async def _ensure(self, dim: int) -> None:
        if self._ready:
            return
        from qdrant_client import models

        if not await self._client.collection_exists(self._collection):
            await self._client.create_collection(
                self._collection,
                vectors_config=models.VectorParams(size=dim, distance=models.Distance.DOT),
            )
            if self._server:  # local mode ignores payload indexes (and warns)
                for field in ("tenant_id", "namespace_id"):
                    await self._client.create_payload_index(
                        self._collection, field, models.PayloadSchemaType.KEYWORD
                    )
        self._ready = True

    def _scope(self, ns: NamespaceRef, ids: Collection[str] | None = None) -> Any:
        from qdrant_client import models

        must: list[Any] = [
            models.FieldCondition(key="tenant_id", match=models.MatchValue(value=ns.tenant_id)),
            models.FieldCondition(
                key="namespace_id", match=models.MatchValue(value=ns.namespace_id)
            ),
        ]
        if ids is not None:
            must.append(models.HasIdCondition(has_id=list(ids)))
        return models.Filter(must=must)

    async def stage(self, ns: NamespaceRef, ids: Sequence[str], vectors: Vectors) -> None:
        """Upload the points before the SQL transaction (unjoined until it commits)."""
        if not ids:
            return
        from qdrant_client import models

        await self._ensure(int(vectors.shape[1]))
        points = [
            models.PointStruct(
                id=chunk_id,
                vector=np.asarray(vector, dtype=np.float32).tolist(),
                payload={"tenant_id": ns.tenant_id, "namespace_id": ns.namespace_id},
            )
            for chunk_id, vector in zip(ids, vectors, strict=True)
        ]
        try:
            for start in range(0, len(points), 256):
                await self._client.upsert(self._collection, points[start : start + 256])
        except Exception as exc:
            raise VectorStoreError(f"Qdrant upsert failed: {type(exc).__name__}") from exc

    async def write(
        self, session: AsyncSession, ns: NamespaceRef, ids: Sequence[str], vectors: Vectors
    ) -> None:
        """Nothing to do in SQL: the points were staged."""

    async def delete(self, session: AsyncSession, ns: NamespaceRef, ids: Sequence[str]) -> None:
        """Nothing to do in SQL: the points are purged after the commit."""

    async def purge(self, ns: NamespaceRef, ids: Sequence[str]) -> None:
        """Delete the points of removed chunks."""
        if not ids or not await self._client.collection_exists(self._collection):
            return
        from qdrant_client import models

        await self._client.delete(
            self._collection, points_selector=models.FilterSelector(filter=self._scope(ns, ids))
        )

    async def search(
        self,
        session: AsyncSession,
        ns: NamespaceRef,
        query: Vectors,
        k: int,
        candidates: Collection[str] | None = None,
    ) -> list[tuple[str, float]]:
        """The nearest points of the namespace (and of ``candidates``, when given)."""
        if candidates is not None and not candidates:
            return []
        if not await self._client.collection_exists(self._collection):
            return []
        try:
            response = await self._client.query_points(
                self._collection,
                query=np.asarray(query, dtype=np.float32).reshape(-1).tolist(),
                query_filter=self._scope(ns, candidates),
                limit=k,
            )
        except Exception as exc:
            raise VectorStoreError(f"Qdrant query failed: {type(exc).__name__}") from exc
        return [(str(point.id), float(point.score)) for point in response.points]
