"""The FAQ upgrade: semantic matching, visibility, versions, bulk import/export, reports."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Sequence

import httpx
import openpyxl
import pytest

from frontdesk.demo import FAQ, PARAPHRASES
from frontdesk.knowledge.embeddings import Vectors, get_embedder
from frontdesk.knowledge.faq_index import FaqIndex
from frontdesk.knowledge.models import FaqEntry
from frontdesk.runtime import Runtime
from frontdesk.tenants.settings import TenantPreferences
from tests.conftest import TenantCtx
from tests.factories import open_session, wait_for_messages
from tests.knowledge.test_faq_index import OFF_TOPIC

THRESHOLD = TenantPreferences().faq_threshold


async def test_semantic_matching_answers_every_paraphrase_and_no_off_topic(
    runtime: Runtime, tenant: TenantCtx
):
    if runtime.db.dialect != "sqlite":
        pytest.skip("matching quality does not depend on the database")
    async with runtime.db.tenant_session(tenant.id) as session:
        await session.execute(FaqEntry.__table__.delete())
        session.add_all(
            FaqEntry(tenant_id=tenant.id, question=q, alternate_questions=alts, answer=a)
            for q, alts, a, _ in FAQ
        )
        await session.commit()
    index = FaqIndex(60, lambda: get_embedder(runtime.settings))
    answers = {q: a for q, _, a, _ in FAQ}
    async with runtime.db.tenant_session(tenant.id) as session:
        for threshold in (None, THRESHOLD):  # the pipeline passes its threshold
            for text, wanted in PARAPHRASES:
                match = await index.match(session, tenant.id, text, threshold)
                assert match is not None and match.answer == answers[wanted], text
                assert match.score >= THRESHOLD, (text, match.score)
            for text in OFF_TOPIC:
                match = await index.match(session, tenant.id, text, threshold)
                assert match is not None and match.score < THRESHOLD, (text, match)


class CountingEmbedder:
    """The real local embedder, counting the texts it is asked to encode."""

    def __init__(self, runtime: Runtime) -> None:
        self.inner = get_embedder(runtime.settings)
        self.name, self.dim, self.texts = self.inner.name, self.inner.dim, 0

    async def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts += len(texts)
        return await self.inner.embed(texts)


async def _only_shipping(runtime: Runtime, tenant: TenantCtx) -> None:
    """The tenant's FAQ becomes one entry, "Do you ship abroad?" (SQLite runs only)."""
    if runtime.db.dialect != "sqlite":
        pytest.skip("caching does not depend on the database")
    async with runtime.db.tenant_session(tenant.id) as session:
        await session.execute(FaqEntry.__table__.delete())
        session.add(FaqEntry(tenant_id=tenant.id, question="Do you ship abroad?", answer="Yes."))
        await session.commit()


async def test_a_rebuilt_index_encodes_only_new_phrasings(runtime: Runtime, tenant: TenantCtx):
    await _only_shipping(runtime, tenant)
    counting = CountingEmbedder(runtime)
    index = FaqIndex(60, lambda: counting)
    async with runtime.db.tenant_session(tenant.id) as session:
        await index.match(session, tenant.id, "Do you ship abroad?", THRESHOLD)
        assert counting.texts == 1
        session.add(FaqEntry(tenant_id=tenant.id, question="Can I pay later?", answer="No."))
        await session.commit()
        index.invalidate(tenant.id)
        match = await index.match(session, tenant.id, "is paying later possible", None)
        assert counting.texts == 3  # the new question, then the query: not the old question
        assert match is not None and match.answer == "No."


class PausingEmbedder(CountingEmbedder):
    """Holds each encoding until told to go on: a rebuild caught in flight."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.encoding, self.go_on = asyncio.Event(), asyncio.Event()

    async def embed(self, texts: Sequence[str]) -> Vectors:
        self.encoding.set()
        await self.go_on.wait()
        return await super().embed(texts)


async def test_a_change_during_a_rebuild_is_not_lost(runtime: Runtime, tenant: TenantCtx):
    await _only_shipping(runtime, tenant)
    pausing = PausingEmbedder(runtime)
    index = FaqIndex(60, lambda: pausing)
    async with runtime.db.tenant_session(tenant.id) as reader:
        rebuild = asyncio.create_task(index.match(reader, tenant.id, "ship abroad?", None))
        await pausing.encoding.wait()  # it read the one entry; now a second one commits
        async with runtime.db.tenant_session(tenant.id) as session:
            session.add(FaqEntry(tenant_id=tenant.id, question="Can I pay later?", answer="No."))
            await session.commit()
        index.invalidate(tenant.id)
        pausing.go_on.set()
        assert (await rebuild) is not None
        match = await index.match(reader, tenant.id, "Can I pay later?", None)
    assert match is not None and match.answer == "No."


async def test_internal_entries_are_not_auto_answers_and_versions_grow(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    r = await client.post(
        "/api/v1/faq",
        headers=tenant.headers,
        json={"question": "What is the staff discount?", "answer": "30%", "visibility": "internal"},
    )
    entry = r.json()
    assert entry["visibility"] == "internal" and entry["version"] == 1
    r = await client.post(
        "/api/v1/faq/match", headers=tenant.headers, json={"text": "What is the staff discount?"}
    )
    assert r.json()["entry_id"] != entry["id"]
    r = await client.patch(
        f"/api/v1/faq/{entry['id']}", headers=tenant.headers, json={"answer": "25%"}
    )
    assert r.json()["version"] == 2


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
async def test_export_then_import_round_trips(
    client: httpx.AsyncClient, tenant: TenantCtx, fmt: str
):
    await client.post(
        "/api/v1/faq",
        headers=tenant.headers,
        json={
            "question": "Do you sell gift cards?",
            "answer": "Yes, from 10 to 500 euros.",
            "alternate_questions": ["gift card?", "voucher"],
            "tags": ["gifts", "cards"],
            "category": "shop",
        },
    )
    r = await client.get("/api/v1/faq/export", params={"format": fmt}, headers=tenant.headers)
    assert r.status_code == 200
    exported = r.content
    if fmt == "json":
        assert {e["question"] for e in json.loads(exported)} >= {"Do you sell gift cards?"}
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(exported))
        assert book.active.cell(1, 1).value == "question"
    r = await client.post(
        "/api/v1/faq/import", params={"format": fmt}, headers=tenant.headers, content=exported
    )
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["created"] == 0 and result["updated"] >= 3
    entries = (await client.get("/api/v1/faq", headers=tenant.headers)).json()
    gift = next(e for e in entries if e["question"] == "Do you sell gift cards?")
    assert gift["alternate_questions"] == ["gift card?", "voucher"] and gift["tags"] == [
        "gifts",
        "cards",
    ]
    assert gift["version"] == 2


async def test_bad_imports_are_refused(client: httpx.AsyncClient, tenant: TenantCtx):
    cases = [
        ("json", b"{not json"),
        ("json", b'[{"question": "q?"}]'),
        ("csv", b"title,body\nx,y\n"),
        ("xlsx", b"not a workbook"),
    ]
    for fmt, body in cases:
        r = await client.post(
            "/api/v1/faq/import", params={"format": fmt}, headers=tenant.headers, content=body
        )
        assert r.status_code == 422, (fmt, body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = await client.post(
        "/api/v1/faq/import",
        params={"format": "csv"},
        headers=tenant.headers,
        content=b"question,answer\nNew?,Yes\n",
    )
    assert r.json() == {"created": 1, "updated": 0}


async def test_hit_rate_and_unanswered_reports(client: httpx.AsyncClient, tenant: TenantCtx):
    sid, headers = await open_session(client, tenant.slug)
    texts = ["When will my order arrive?", "Do you sell llamas?", "do you sell llamas?"]
    for text in texts:
        await client.post(
            f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": text}
        )
    await wait_for_messages(client, sid, headers, 5)  # the fallback is not repeated
    rate = (await client.get("/api/v1/faq/reports/hit-rate", headers=tenant.headers)).json()
    assert (
        rate["asked"] == 3
        and rate["answered"] == 1
        and rate["hit_rate"] == pytest.approx(1 / 3, 1e-3)
    )
    rows = (await client.get("/api/v1/faq/reports/unanswered", headers=tenant.headers)).json()
    assert (
        len(rows) == 1
        and rows[0]["count"] == 2
        and rows[0]["text"].lower() == "do you sell llamas?"
    )
