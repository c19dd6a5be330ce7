"""Member availability and the callbacks queued when no agent is available."""

from __future__ import annotations

from contextlib import aclosing
from datetime import UTC, datetime, timedelta

import httpx

from frontdesk.conversations.inbox import agent_available
from frontdesk.core.auth import Role
from frontdesk.core.clock import utcnow
from frontdesk.runtime import Runtime
from frontdesk.tenants import service as tenants
from frontdesk.tenants.settings import TenantPreferences
from tests.conftest import TenantCtx
from tests.conversations.inbox_helpers import customer_asks, events, member_client, set_available
from tests.factories import make_member

CALLBACKS = "/api/v1/callbacks"
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def _available(
    runtime: Runtime, tenant_id: str, prefs: TenantPreferences, now: datetime | None = None
) -> bool:
    async with runtime.db.tenant_session(tenant_id) as session:
        return await agent_available(session, tenant_id, prefs, now)


async def _mark(runtime: Runtime, tenant_id: str, member_id: str, available: bool) -> None:
    async with runtime.db.tenant_session(tenant_id) as session:
        await tenants.set_availability(session, tenant_id, member_id, available)


async def test_an_agent_is_available_when_an_agent_or_admin_says_so_within_hours(
    runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
):
    prefs = TenantPreferences()
    assert not await _available(runtime, tenant.id, prefs)  # nobody at all
    viewer = await make_member(runtime.db, tenant.id, "vic@acme.example", Role.VIEWER)
    await _mark(runtime, tenant.id, viewer, True)
    assert not await _available(runtime, tenant.id, prefs)  # a viewer answers nobody
    elsewhere = await make_member(runtime.db, other_tenant.id, "sam@globex.example", Role.AGENT)
    await _mark(runtime, other_tenant.id, elsewhere, True)
    assert not await _available(runtime, tenant.id, prefs)  # another tenant's agent
    for role in (Role.AGENT, Role.ADMIN):
        member = await make_member(runtime.db, tenant.id, f"{role.value}@acme.example", role)
        await _mark(runtime, tenant.id, member, True)
        assert await _available(runtime, tenant.id, prefs)
        await _mark(runtime, tenant.id, member, False)
        assert not await _available(runtime, tenant.id, prefs)
    await _mark(runtime, tenant.id, member, True)

    hours = TenantPreferences(business_hours={"mon": [("09:00", "17:00")]}, timezone="UTC")
    assert await _available(runtime, tenant.id, hours, MONDAY_NOON)
    assert not await _available(runtime, tenant.id, hours, MONDAY_NOON + timedelta(hours=6))
    assert not await _available(runtime, tenant.id, hours, MONDAY_NOON + timedelta(days=1))
    # 12:00 UTC is 21:00 in Tokyo: closed there.
    tokyo = hours.model_copy(update={"timezone": "Asia/Tokyo"})
    assert not await _available(runtime, tenant.id, tokyo, MONDAY_NOON)


async def test_members_set_their_own_availability(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    agent, csrf, agent_id = await member_client(
        client, runtime, tenant, "ana@acme.example", Role.AGENT
    )
    async with aclosing(agent):
        await set_available(agent, csrf, True)
        members = (await client.get("/api/v1/members", headers=tenant.headers)).json()
        assert [(m["id"], m["available"]) for m in members] == [(agent_id, True)]
        await set_available(agent, csrf, False)
        # Members read their own state where the console reads who they are.
        assert (await agent.get("/api/v1/auth/me")).json()["member"]["available"] is False
        for body in ({}, {"available": "maybe"}, {"available": True, "member_id": "x"}):
            r = await agent.put("/api/v1/members/me/availability", json=body, headers=csrf)
            assert r.status_code == 422, body
            assert r.headers["content-type"] == "application/problem+json"
        r = await agent.put("/api/v1/members/me/availability", json={"available": True})
        assert r.status_code == 403  # a cookie write without its CSRF header
    members = (await client.get("/api/v1/members", headers=tenant.headers)).json()
    assert [m["available"] for m in members] == [False]
    # An API key is no member: it has no availability to set.
    r = await client.put(
        "/api/v1/members/me/availability", json={"available": True}, headers=tenant.headers
    )
    assert r.status_code == 403


async def test_listing_and_settling_callbacks(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    await customer_asks(client, tenant)
    await customer_asks(client, tenant, "I want to talk to a human about my invoice")
    first, second = (await client.get(CALLBACKS, headers=tenant.headers)).json()
    assert (first["reason"], second["reason"]) == ("no_answer", "asked_for_human")
    assert first["requested_at"] <= second["requested_at"]

    async def listed(**params: str) -> list[str]:
        r = await client.get(CALLBACKS, headers=tenant.headers, params=params)
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()]

    assert await listed(status="pending") == [first["id"], second["id"]]
    assert await listed(conversation_id=second["conversation_id"]) == [second["id"]]
    assert await listed(contact_id=first["contact_id"]) == [first["id"]]
    assert await listed(since=(utcnow() + timedelta(minutes=1)).isoformat()) == []
    assert await listed(limit="1", offset="1") == [second["id"]]

    agent, csrf, agent_id = await member_client(
        client, runtime, tenant, "ana@acme.example", Role.AGENT
    )
    async with aclosing(agent):
        r = await agent.post(f"{CALLBACKS}/{first['id']}/done", headers=csrf)
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["done_by"]) == ("done", agent_id)
        r = await agent.post(f"{CALLBACKS}/{first['id']}/done", headers=csrf)
        assert r.status_code == 409 and r.json()["detail"] == "The callback is already done"
        r = await agent.post(f"{CALLBACKS}/{first['id']}/cancel", headers=csrf)
        assert r.status_code == 409
    r = await client.post(f"{CALLBACKS}/{second['id']}/cancel", headers=tenant.headers)
    assert (r.json()["status"], r.json()["done_by"]) == ("cancelled", None)
    assert await listed(status="pending") == []
    assert await listed(status="done") == [first["id"]]
    assert await listed(status="cancelled") == [second["id"]]
    assert [e["callback_id"] for e in await events(runtime, tenant.id, "callback.done")] == [
        first["id"]
    ]
    assert len(await events(runtime, tenant.id, "callback.cancelled")) == 1


async def test_closing_the_conversation_settles_its_callback(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    await customer_asks(client, tenant)
    [callback] = (await client.get(CALLBACKS, headers=tenant.headers)).json()
    admin, csrf, admin_id = await member_client(
        client, runtime, tenant, "ada@acme.example", Role.ADMIN
    )
    async with aclosing(admin):
        r = await admin.post(
            f"/api/v1/conversations/{callback['conversation_id']}/close", headers=csrf
        )
        assert r.status_code == 200, r.text
    [done] = (await client.get(CALLBACKS, headers=tenant.headers)).json()
    assert (done["status"], done["done_by"]) == ("done", admin_id)


async def test_bad_requests_and_other_tenants(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
):
    await customer_asks(client, tenant)
    [callback] = (await client.get(CALLBACKS, headers=tenant.headers)).json()
    for params in ({"status": "open"}, {"since": "soon"}, {"limit": "0"}):
        r = await client.get(CALLBACKS, headers=tenant.headers, params=params)
        assert r.status_code == 422, params
        assert r.headers["content-type"] == "application/problem+json"
    r = await client.post(f"{CALLBACKS}/no-such-callback/done", headers=tenant.headers)
    assert r.status_code == 404

    assert (await client.get(CALLBACKS, headers=other_tenant.headers)).json() == []
    for action in ("done", "cancel"):
        r = await client.post(
            f"{CALLBACKS}/{callback['id']}/{action}", headers=other_tenant.headers
        )
        assert r.status_code == 404
    [still] = (await client.get(CALLBACKS, headers=tenant.headers)).json()
    assert still["status"] == "pending"

    viewer, csrf, _ = await member_client(client, runtime, tenant, "vic@acme.example", Role.VIEWER)
    async with aclosing(viewer):
        assert (await viewer.get(CALLBACKS)).status_code == 200
        r = await viewer.post(f"{CALLBACKS}/{callback['id']}/done", headers=csrf)
        assert r.status_code == 403
