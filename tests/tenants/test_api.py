from __future__ import annotations

import httpx
from sqlalchemy import select

from frontdesk.core.auth import Role
from frontdesk.runtime import Runtime
from frontdesk.tenants.models import ApiKey
from tests.conftest import TenantCtx
from tests.factories import api_key, open_session, wait_for_messages


async def test_tenant_settings_change_takes_effect_at_once(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    r = await client.get("/api/v1/tenant", headers=tenant.headers)
    assert r.json()["slug"] == "acme"
    assert r.json()["retention_days"] == 365
    r = await client.patch(
        "/api/v1/tenant",
        headers=tenant.headers,
        json={"settings": {"no_agent_text": "A human will call you."}, "retention_days": 30},
    )
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["no_agent_text"] == "A human will call you."

    sid, headers = await open_session(client, tenant.slug)
    await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages",
        headers=headers,
        json={"text": "zebra quantum xylophone"},
    )
    messages = await wait_for_messages(client, sid, headers, 2)
    assert messages[1]["text"] == "A human will call you."  # no agent is marked available


async def test_invalid_tenant_settings_are_422(client: httpx.AsyncClient, tenant: TenantCtx):
    for body in (
        {"settings": {"faq_threshold": 101}},
        {"retention_days": 0},
        {"settings": {"fallback_text": ""}},
    ):
        r = await client.patch("/api/v1/tenant", headers=tenant.headers, json=body)
        assert r.status_code == 422, body
        assert r.headers["content-type"] == "application/problem+json"


async def test_api_keys_are_hashed_shown_once_and_revocable(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    r = await client.post(
        "/api/v1/api-keys", headers=tenant.headers, json={"name": "ci", "role": "viewer"}
    )
    assert r.status_code == 201
    created = r.json()
    key = created["key"]
    assert key.startswith(f"fd_{created['prefix']}_")

    listed = (await client.get("/api/v1/api-keys", headers=tenant.headers)).json()
    assert all("key" not in k for k in listed)
    async with runtime.db.system_session() as session:
        row = await session.scalar(select(ApiKey).where(ApiKey.id == created["id"]))
    assert row is not None and key not in (row.key_hash, row.prefix)

    viewer = {"Authorization": f"Bearer {key}"}
    assert created["last_used_at"] is None
    assert (await client.get("/api/v1/faq", headers=viewer)).status_code == 200
    listed = (await client.get("/api/v1/api-keys", headers=tenant.headers)).json()
    assert next(k for k in listed if k["id"] == created["id"])["last_used_at"] is not None
    r = await client.delete(f"/api/v1/api-keys/{created['id']}", headers=tenant.headers)
    assert r.json()["revoked_at"] is not None
    assert (await client.get("/api/v1/faq", headers=viewer)).status_code == 401


async def test_roles_are_enforced(client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime):
    viewer = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.VIEWER)}"}
    agent = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.AGENT)}"}
    manager = {
        "Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.CONFIG_MANAGER)}"
    }
    faq = {"question": "Do you sell gift cards?", "answer": "Yes."}

    assert (await client.post("/api/v1/faq", headers=viewer, json=faq)).status_code == 403
    assert (await client.post("/api/v1/faq", headers=manager, json=faq)).status_code == 201
    assert (await client.get("/api/v1/queue/dead-letters", headers=agent)).status_code == 403
    assert (await client.get("/api/v1/conversations", headers=agent)).status_code == 200
    assert (await client.get("/api/v1/members", headers=manager)).status_code == 403
    r = await client.post("/api/v1/api-keys", headers=viewer, json={"role": "admin"})
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert (
        await client.patch("/api/v1/tenant", headers=manager, json={"name": "x"})
    ).status_code == 403


async def test_every_role_sees_the_team_but_not_the_member_records(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx, runtime: Runtime
):
    body = {"email": "ann@example.com", "name": "Ann", "role": "agent"}
    ann = (await client.post("/api/v1/members", headers=tenant.headers, json=body)).json()
    body = {"email": "bo@example.com", "name": "Bo", "role": "agent"}
    await client.post("/api/v1/members", headers=other_tenant.headers, json=body)
    for role in Role:
        headers = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, role)}"}
        r = await client.get("/api/v1/team", headers=headers)
        assert r.status_code == 200, role
        assert r.json() == [
            {"id": ann["id"], "email": "ann@example.com", "name": "Ann", "role": "agent",
             "available": True}
        ]  # fmt: skip
    agent = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.AGENT)}"}
    assert (await client.get("/api/v1/members", headers=agent)).status_code == 403
    assert (await client.get("/api/v1/team")).status_code == 401


async def test_members(client: httpx.AsyncClient, tenant: TenantCtx):
    r = await client.post(
        "/api/v1/members",
        headers=tenant.headers,
        json={"email": "Ann@Example.com", "name": "Ann", "role": "agent"},
    )
    assert r.status_code == 201
    member = r.json()
    assert member["email"] == "ann@example.com"
    r = await client.post(
        "/api/v1/members",
        headers=tenant.headers,
        json={"email": "ann@example.com", "role": "viewer"},
    )
    assert r.status_code == 409
    r = await client.post(
        "/api/v1/members", headers=tenant.headers, json={"email": "not-an-email", "role": "viewer"}
    )
    assert r.status_code == 422
    r = await client.post(
        "/api/v1/members",
        headers=tenant.headers,
        json={"email": "b@example.com", "role": "overlord"},
    )
    assert r.status_code == 422
    assert [
        m["email"] for m in (await client.get("/api/v1/members", headers=tenant.headers)).json()
    ] == ["ann@example.com"]
    r = await client.delete(f"/api/v1/members/{member['id']}", headers=tenant.headers)
    assert r.status_code == 204
    assert (await client.get("/api/v1/members", headers=tenant.headers)).json() == []
