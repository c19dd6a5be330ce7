"""Dashboard figures and the console's live event stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from sqlalchemy import select

from frontdesk.conversations.models import Conversation
from frontdesk.core.auth import Role
from frontdesk.core.db import Database, create_engine
from frontdesk.dashboard.service import percentile
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from tests.conftest import TenantCtx
from tests.factories import login, make_member, make_tenant, open_session, wait_for_messages


def test_percentile_nearest_rank():
    assert percentile([], 0.5) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 0.95) == 95.0
    assert percentile([7.0], 0.99) == 7.0


async def _chat(client: httpx.AsyncClient, slug: str, text: str) -> None:
    sid, headers = await open_session(client, slug)
    r = await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": text}
    )
    assert r.status_code == 202
    await wait_for_messages(client, sid, headers, 2)


async def test_stats_count_messages_conversations_and_latency(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
):
    await _chat(client, tenant.slug, "When will my order arrive?")
    await _chat(client, tenant.slug, "I need a person")
    await _chat(client, other_tenant.slug, "When will my order arrive?")
    r = await client.get("/api/v1/stats", params={"hours": 24}, headers=tenant.headers)
    assert r.status_code == 200, r.text
    stats = r.json()
    volume = {(p["channel"], p["direction"]): p["count"] for p in stats["volume"]}
    assert volume == {("webchat", "in"): 2, ("webchat", "out"): 2}
    assert stats["conversations"] == {"bot": 1, "waiting": 1}
    assert stats["latency"]["count"] == 2 and stats["latency"]["p50_ms"] >= 0
    assert stats["latency"]["p50_ms"] <= stats["latency"]["p99_ms"]
    assert stats["jobs"].get("done") == 2 and stats["queue_depth"] == 0
    assert stats["dead_letters"] == 0
    day = (await client.get("/api/v1/stats?bucket=day", headers=tenant.headers)).json()
    assert len({p["bucket"] for p in day["volume"]}) == 1
    assert day["volume"][0]["bucket"].endswith("T00:00:00Z")
    bad = await client.get("/api/v1/stats?hours=0", headers=tenant.headers)
    assert bad.status_code == 422
    bad = await client.get("/api/v1/stats?bucket=week", headers=tenant.headers)
    assert bad.status_code == 422


async def _read_events(stream: httpx.Response, want: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async for line in stream.aiter_lines():
        if line.startswith("data: ") and '"message.' in line:
            events.append(json.loads(line[6:]))
            if len(events) >= want:
                return events
    return events


async def test_event_stream_relays_only_the_tenants_events(live_url: str, settings: Settings):
    db = Database(create_engine(settings))
    try:
        await _stream_check(db, live_url)
    finally:
        await db.dispose()


async def _stream_check(db: Database, live_url: str) -> None:
    a_id, _ = await make_tenant(db, "acme", Role.ADMIN)
    await make_tenant(db, "globex", Role.ADMIN)
    await make_member(db, a_id, "ana@acme.example", Role.VIEWER)
    async with httpx.AsyncClient(base_url=live_url, timeout=10) as client:
        await login(client, "acme", "ana@acme.example")
        async with client.stream("GET", "/api/v1/events/stream") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            await _chat(client, "globex", "When will my order arrive?")
            await _chat(client, "acme", "When will my order arrive?")
            events = await asyncio.wait_for(_read_events(stream, 2), 10)
        types = [e["type"] for e in events]
        assert types == ["message.received", "message.sent"]
        async with db.tenant_session(a_id) as session:
            cid = await session.scalar(
                select(Conversation.id).where(Conversation.tenant_id == a_id)
            )
        assert all(e["payload"]["conversation_id"] == cid for e in events)
    async with httpx.AsyncClient(base_url=live_url, cookies={"fd_session": "nope"}) as stranger:
        r = await stranger.get("/api/v1/events/stream")
        assert r.status_code == 401
