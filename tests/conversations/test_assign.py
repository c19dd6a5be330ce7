"""Assigning a conversation: admins give it to anyone who may answer, agents only take it."""

from __future__ import annotations

from contextlib import aclosing

import httpx

from frontdesk.core.auth import Role
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.conversations.inbox_helpers import customer_asks, events, member_client
from tests.factories import make_member

LIST = "/api/v1/conversations"


async def _waiting(client: httpx.AsyncClient, tenant: TenantCtx) -> str:
    await customer_asks(client, tenant)
    r = await client.get(LIST, headers=tenant.headers, params={"status": "waiting"})
    return str(r.json()[0]["id"])


async def test_admin_assigns_and_reassigns_to_members_who_answer(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    cid = await _waiting(client, tenant)
    ana = await make_member(runtime.db, tenant.id, "ana@acme.example", Role.AGENT)
    ada = await make_member(runtime.db, tenant.id, "ada@acme.example", Role.ADMIN)

    r = await client.post(f"{LIST}/{cid}/assign", headers=tenant.headers, json={"member_id": ana})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["assignee_id"], body["needs_human"]) == ("human", ana, False)
    assert body["waiting_since"] is None and body["escalation_reason"] == "no_answer"
    # Again to the same member: nothing changes; to an admin: the admin owns it now.
    assert (
        await client.post(f"{LIST}/{cid}/assign", headers=tenant.headers, json={"member_id": ana})
    ).json()["assignee_id"] == ana
    r = await client.post(f"{LIST}/{cid}/assign", headers=tenant.headers, json={"member_id": ada})
    assert r.json()["assignee_id"] == ada

    changes = await events(runtime, tenant.id, "conversation.status_changed")
    assert [(e["previous"], e["status"], e["assignee_id"]) for e in changes] == [
        ("bot", "waiting", None),
        ("waiting", "human", ana),
        ("human", "human", ada),
    ]
    r = await client.get(LIST, headers=tenant.headers, params={"assignee_id": ada})
    assert [c["id"] for c in r.json()] == [cid]


async def test_an_agent_assigns_only_themself(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    cid = await _waiting(client, tenant)
    bob = await make_member(runtime.db, tenant.id, "bob@acme.example", Role.AGENT)
    ana, csrf, ana_id = await member_client(client, runtime, tenant, "ana@acme.example", Role.AGENT)
    async with aclosing(ana):
        r = await ana.post(f"{LIST}/{cid}/assign", headers=csrf, json={"member_id": bob})
        assert r.status_code == 403
        assert r.headers["content-type"] == "application/problem+json"
        r = await ana.post(f"{LIST}/{cid}/assign", headers=csrf, json={"member_id": ana_id})
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["assignee_id"]) == ("human", ana_id)

    # Taking a conversation another member owns is a claim: refused.
    r = await client.post(f"{LIST}/{cid}/assign", headers=tenant.headers, json={"member_id": bob})
    assert r.json()["assignee_id"] == bob
    ana, csrf, _ = await member_client(client, runtime, tenant, "eve@acme.example", Role.AGENT)
    async with aclosing(ana):
        r = await ana.get("/api/v1/auth/me")
        me = r.json()["member"]["id"]
        r = await ana.post(f"{LIST}/{cid}/assign", headers=csrf, json={"member_id": me})
        assert r.status_code == 409


async def test_bad_assignments_are_refused(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
):
    cid = await _waiting(client, tenant)
    viewer = await make_member(runtime.db, tenant.id, "vic@acme.example", Role.VIEWER)
    stranger = await make_member(runtime.db, other_tenant.id, "sam@globex.example", Role.AGENT)
    ana = await make_member(runtime.db, tenant.id, "ana@acme.example", Role.AGENT)
    url = f"{LIST}/{cid}/assign"
    for body, status in (
        ({"member_id": viewer}, 422),  # a viewer does not answer customers
        ({"member_id": stranger}, 404),  # another tenant's member
        ({"member_id": "no-such-member"}, 404),
        ({}, 422),
        ({"member_id": ""}, 422),
        ({"member_id": ana, "tenant_id": other_tenant.id}, 422),
    ):
        r = await client.post(url, headers=tenant.headers, json=body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = await client.post(f"{LIST}/nope/assign", headers=tenant.headers, json={"member_id": ana})
    assert r.status_code == 404
    # Tenant B cannot assign tenant A's conversation, even to its own member.
    r = await client.post(url, headers=other_tenant.headers, json={"member_id": stranger})
    assert r.status_code == 404
    # A closed conversation is assigned to nobody.
    await client.post(f"{LIST}/{cid}/close", headers=tenant.headers)
    r = await client.post(url, headers=tenant.headers, json={"member_id": ana})
    assert r.status_code == 409 and "closed" in r.json()["detail"]
    [conversation] = (await client.get(LIST, headers=tenant.headers)).json()
    assert (conversation["status"], conversation["assignee_id"]) == ("closed", None)


async def test_a_viewer_cannot_assign(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    cid = await _waiting(client, tenant)
    viewer, csrf, me = await member_client(client, runtime, tenant, "vic@acme.example", Role.VIEWER)
    async with aclosing(viewer):
        r = await viewer.post(f"{LIST}/{cid}/assign", headers=csrf, json={"member_id": me})
        assert r.status_code == 403
