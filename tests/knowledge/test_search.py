from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from frontdesk.knowledge import search
from frontdesk.knowledge.schemas import DateRange, QueryFilters, QueryRequest
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.knowledge.kb_helpers import add_docs, text_doc

DOCS = [
    text_doc(
        "returns.md",
        "Items can be returned within 30 days of delivery for a full refund.",
        doc_type="md",
        title="Returns policy",
        meta={"team": "support"},
        doc_date=datetime(2025, 1, 10, tzinfo=UTC),
    ),
    text_doc(
        "shipping.md",
        "Standard shipping takes three to five business days. Express ships next day.",
        doc_type="md",
        title="Shipping",
        meta={"team": "logistics"},
        doc_date=datetime(2025, 6, 1, tzinfo=UTC),
    ),
    text_doc(
        "warranty.pdf",
        "The Model X200 blender carries a two year warranty covering the motor.",
        doc_type="pdf",
        title="Warranty",
        entity="Model X200",
    ),
    text_doc(
        "warranty-z.pdf",
        "The Model Z9 toaster carries a one year warranty covering the heating element.",
        doc_type="pdf",
        title="Warranty Z9",
        entity="Model Z9",
    ),
]


async def query(runtime: Runtime, tenant: TenantCtx, **kwargs: object):
    async with runtime.db.tenant_session(tenant.id) as session:
        return await search.search(session, runtime.kb, tenant.id, QueryRequest(**kwargs))


async def test_hybrid_finds_the_relevant_chunk_with_scores(runtime: Runtime, tenant: TenantCtx):
    await add_docs(runtime, tenant.id, DOCS)
    response = await query(runtime, tenant, query="how long does delivery take?", top_k=2)
    top = response.results[0]
    assert top.metadata["source"] == "shipping.md"
    assert top.metadata["title"] == "Shipping"
    assert 0 < top.score <= 1 and set(top.scores) == {"vector", "keyword"}
    assert response.results[0].score >= response.results[1].score

    for mode in ("vector", "keyword"):
        r = await query(runtime, tenant, query="refund for returned items", mode=mode)
        assert r.results[0].metadata["source"] == "returns.md", mode


async def test_filters_type_source_date_metadata(runtime: Runtime, tenant: TenantCtx):
    await add_docs(runtime, tenant.id, DOCS)
    q = "warranty"
    r = await query(runtime, tenant, query=q, filters=QueryFilters(document_type=["md"]))
    assert {h.metadata["document_type"] for h in r.results} == {"md"}
    r = await query(runtime, tenant, query=q, filters=QueryFilters(source=["shipping.md"]))
    assert [h.metadata["source"] for h in r.results] == ["shipping.md"]
    r = await query(
        runtime,
        tenant,
        query=q,
        filters=QueryFilters(date_range=DateRange(start=datetime(2025, 5, 1, tzinfo=UTC))),
    )
    assert "returns.md" not in {h.metadata["source"] for h in r.results}
    assert "shipping.md" in {h.metadata["source"] for h in r.results}
    r = await query(runtime, tenant, query=q, filters=QueryFilters(metadata={"team": "support"}))
    assert [h.metadata["source"] for h in r.results] == ["returns.md"]


async def test_entity_from_conversation_context_filters(runtime: Runtime, tenant: TenantCtx):
    await add_docs(runtime, tenant.id, DOCS)
    r = await query(
        runtime,
        tenant,
        query="how long is its warranty?",
        context=["I bought the model z9 last week", "Sorry to hear it broke."],
    )
    assert r.entity == "Model Z9"
    assert [h.metadata["source"] for h in r.results] == ["warranty-z.pdf"]
    r = await query(runtime, tenant, query="warranty?", filters=QueryFilters(entity="model x200"))
    assert [h.metadata["source"] for h in r.results] == ["warranty.pdf"]


async def test_min_score_applies_to_the_fused_score(runtime: Runtime, tenant: TenantCtx):
    await add_docs(runtime, tenant.id, DOCS)
    r = await query(runtime, tenant, query="quantum chromodynamics lattice", min_score=0.5)
    assert r.results == []


async def test_reingestion_replaces_and_other_processes_see_it(runtime: Runtime, tenant: TenantCtx):
    from frontdesk.knowledge.index import KnowledgeBase

    await add_docs(runtime, tenant.id, DOCS)
    other = KnowledgeBase(runtime.settings)  # another process's view
    async with runtime.db.tenant_session(tenant.id) as session:
        first = await search.search(session, other, tenant.id, QueryRequest(query="shipping"))
    assert any("three to five" in h.content for h in first.results)

    await add_docs(
        runtime, tenant.id, [text_doc("shipping.md", "Shipping now takes two weeks by sea.")]
    )
    async with runtime.db.tenant_session(tenant.id) as session:
        second = await search.search(session, other, tenant.id, QueryRequest(query="shipping"))
    contents = " ".join(h.content for h in second.results)
    assert "two weeks" in contents and "three to five" not in contents


async def test_tenants_do_not_see_each_other(
    runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
):
    await add_docs(runtime, tenant.id, DOCS)
    await add_docs(runtime, other_tenant.id, [text_doc("x.txt", "Globex sells rockets.")])
    r = await query(runtime, other_tenant, query="warranty shipping returns rockets", top_k=10)
    assert [h.metadata["source"] for h in r.results] == ["x.txt"]


def _fused(vector: list[tuple[int, float]], keyword: list[float]) -> list[int]:
    scores = np.array(keyword, dtype=np.float32)
    return [s.position for s in search.fuse(vector, scores, None, "hybrid", 0.6, 0.15, 10)]


def test_keyword_breaks_a_near_tie_of_the_vector_search() -> None:
    assert _fused([(0, 0.60), (1, 0.58)], [0.0, 0.5]) == [1, 0]


def test_a_partial_keyword_match_never_lifts_a_clearly_worse_chunk() -> None:
    # The demo FAQ's "when does my order arrive": "cancel my order" matches the rare word
    # "arrive", but the embedding ranks it 0.17 below the best hit, so "shipping" stays ahead.
    order, shipping, cancel = 0, 1, 2
    vector = [(order, 0.578), (shipping, 0.422), (cancel, 0.410)]
    assert _fused(vector, [0.21, 0.0, 0.48]) == [order, shipping, cancel]


def test_an_exact_keyword_match_counts_even_outside_the_vector_hits() -> None:
    # An order code the embedding model cannot know: only the keyword side finds chunk 2.
    assert _fused([(0, 0.60), (1, 0.40)], [0.0, 0.0, 0.95])[0] == 2


def test_each_single_mode_ignores_the_other_list() -> None:
    scores = np.array([0.0, 0.9], dtype=np.float32)
    vector = [(0, 0.7), (1, 0.2)]
    assert [s.position for s in search.fuse(vector, scores, None, "vector", 0.6, 0.15, 5)] == [0, 1]
    assert [s.position for s in search.fuse(vector, scores, None, "keyword", 0.6, 0.15, 5)][0] == 1
