"""Both vector stores behind one contract: SQL (SQLite, PostgreSQL) and Qdrant (local mode)."""

from __future__ import annotations

import numpy as np
import pytest
from qdrant_client import AsyncQdrantClient

from frontdesk.core.ids import new_id
from frontdesk.knowledge import documents
from frontdesk.knowledge.index import KnowledgeBase
from frontdesk.knowledge.qdrant_store import QdrantVectorStore
from frontdesk.knowledge.sql_store import SqlVectorStore, top_k
from frontdesk.knowledge.vectors import NamespaceRef, VectorStore
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.knowledge.kb_helpers import add_docs, text_doc


def unit(rows: list[list[float]]) -> np.ndarray:
    a = np.asarray(rows, dtype=np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def test_top_k_orders_and_skips_masked():
    scores = np.array([0.1, 0.9, -np.inf, 0.5], dtype=np.float32)
    assert list(top_k(scores, 2)) == [1, 3]
    assert list(top_k(scores, 10)) == [1, 3, 0]


async def contract(store: VectorStore, runtime: Runtime, ns: NamespaceRef) -> None:
    """Write, search, filter by candidates, delete; two namespaces never mix."""
    ids = [new_id() for _ in range(3)]
    vectors = unit([[1, 0, 0], [0.8, 0.2, 0], [0, 0, 1]])
    other = NamespaceRef(ns.tenant_id, ns.namespace_id + "-other", 0)
    await store.stage(ns, ids, vectors)
    async with runtime.db.tenant_tx(ns.tenant_id) as session:
        await store.write(session, ns, ids, vectors)
    bumped = NamespaceRef(ns.tenant_id, ns.namespace_id, ns.version + 1)
    query = unit([[1, 0.1, 0]])[0]
    async with runtime.db.tenant_session(ns.tenant_id) as session:
        hits = await store.search(session, bumped, query, 2)
        assert [h[0] for h in hits] == ids[:2] and hits[0][1] > hits[1][1] > 0.5
        only = await store.search(session, bumped, query, 5, candidates=[ids[2]])
        assert [h[0] for h in only] == [ids[2]]
        assert await store.search(session, other, query, 5) == []
    async with runtime.db.tenant_tx(ns.tenant_id) as session:
        await store.delete(session, bumped, ids[:1])
    await store.purge(bumped, ids[:1])
    again = NamespaceRef(ns.tenant_id, ns.namespace_id, ns.version + 2)
    async with runtime.db.tenant_session(ns.tenant_id) as session:
        hits = await store.search(session, again, query, 5)
    assert [h[0] for h in hits] == ids[1:]


async def test_sql_store_contract(runtime: Runtime, tenant: TenantCtx):
    ns = await documents.create_namespace(runtime.db, tenant.id, "v")
    await contract(SqlVectorStore(), runtime, documents.ref(ns))


async def test_qdrant_store_contract(runtime: Runtime, tenant: TenantCtx):
    if runtime.db.dialect != "sqlite":
        pytest.skip("the Qdrant adapter does not depend on the SQL backend")
    ns = await documents.create_namespace(runtime.db, tenant.id, "v")
    store = QdrantVectorStore(AsyncQdrantClient(":memory:"), "kb", server=False)
    await contract(store, runtime, documents.ref(ns))


async def test_search_end_to_end_on_qdrant(runtime: Runtime, tenant: TenantCtx):
    """The whole ingestion and search path on the Qdrant store (local mode)."""
    if runtime.db.dialect != "sqlite":
        pytest.skip("the Qdrant adapter does not depend on the SQL backend")
    from frontdesk.knowledge import search
    from frontdesk.knowledge.schemas import QueryRequest

    store = QdrantVectorStore(AsyncQdrantClient(":memory:"), "kb", server=False)
    runtime.kb = KnowledgeBase(runtime.settings, store)
    await add_docs(
        runtime,
        tenant.id,
        [text_doc("a", "Cats purr."), text_doc("b", "Invoices are due monthly.")],
    )
    await add_docs(runtime, tenant.id, [text_doc("b", "Invoices are due weekly.")])  # replaces
    async with runtime.db.tenant_session(tenant.id) as session:
        r = await search.search(
            session,
            runtime.kb,
            tenant.id,
            QueryRequest(query="when is my invoice due", mode="vector"),
        )
    assert r.results[0].content == "Invoices are due weekly."
    assert len(r.results) == 2  # the replaced chunk's point was purged
