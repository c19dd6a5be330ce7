"""What the visual builder relies on: the node-type catalog and draft conflict detection."""

from __future__ import annotations

import httpx

from frontdesk.core.auth import Role
from frontdesk.runtime import Runtime
from frontdesk.workflows.nodes.registry import NODES
from frontdesk.workflows.rules import OPERATORS, UNARY
from tests.conftest import TenantCtx
from tests.factories import api_key, login, make_member
from tests.workflows.helpers import graph

DRAFT = graph([("s", "start", {}), ("e", "end", {})], [("s", "e", None)])


async def _create(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, object]:
    r = await client.post(
        "/api/v1/workflows", headers=headers, json={"name": "builder", "definition": DRAFT}
    )
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


async def test_catalog_lists_every_node_type_with_handles_and_schema(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    r = await client.get("/api/v1/workflow-node-types", headers=tenant.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    nodes = {n["type"]: n for n in body["nodes"]}
    assert set(nodes) == set(NODES)
    groups = {g["key"] for g in body["groups"]}
    assert all(n["group"] in groups for n in nodes.values())
    assert nodes["condition"]["handles"] == ["true", "false", "error"]
    assert nodes["approval"]["handles"] == ["approved", "rejected", "timeout", "error"]
    assert nodes["end"]["handles"] == []
    assert nodes["send_message"]["effect"] == "db"
    assert nodes["condition"]["description"].startswith("Leaves by ``true``")
    schema = nodes["approval"]["schema"]
    assert schema["additionalProperties"] is False
    assert {"allowed_roles", "approvers", "require_mfa", "retry"} <= set(schema["properties"])
    assert "prompt" in nodes["llm"]["schema"]["required"]


async def test_catalog_has_triggers_events_and_operators_by_type(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    body = (await client.get("/api/v1/workflow-node-types", headers=tenant.headers)).json()
    assert [t["type"] for t in body["triggers"]] == ["event", "webhook", "cron", "manual"]
    events = {e["type"]: e for e in body["events"]}
    fields = {f["name"] for f in events["message.received"]["fields"]}
    assert {"text", "channel", "intent", "conversation_id"} <= fields
    assert events["custom.*"]["pattern"] is True
    assert "contains" in body["operators"]["string"]
    assert "between" in body["operators"]["number"]
    assert "contains" not in body["operators"]["boolean"]
    used = {op for ops in body["operators"].values() for op in ops}
    assert used <= set(OPERATORS) == set(body["all_operators"])
    assert set(body["unary_operators"]) == UNARY
    assert "trigger" in body["scope"] and "vars" in body["scope"]


async def test_viewers_read_the_catalog_but_cannot_save_drafts(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    assert (await client.get("/api/v1/workflow-node-types")).status_code == 401
    viewer = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.VIEWER)}"}
    assert (await client.get("/api/v1/workflow-node-types", headers=viewer)).status_code == 200
    workflow = await _create(client, tenant.headers)
    r = await client.patch(
        f"/api/v1/workflows/{workflow['id']}",
        headers=viewer,
        json={"definition": DRAFT, "base_revision": 1},
    )
    assert r.status_code == 403


async def test_every_draft_change_moves_the_revision(client: httpx.AsyncClient, tenant: TenantCtx):
    workflow = await _create(client, tenant.headers)
    assert workflow["draft_revision"] == 1
    url = f"/api/v1/workflows/{workflow['id']}"
    r = await client.patch(url, headers=tenant.headers, json={"definition": DRAFT})
    assert r.json()["draft_revision"] == 2
    r = await client.patch(
        url, headers=tenant.headers, json={"definition": DRAFT, "base_revision": 2}
    )
    assert r.status_code == 200, r.text
    assert r.json()["draft_revision"] == 3
    r = await client.patch(url, headers=tenant.headers, json={"description": "no draft change"})
    assert r.json()["draft_revision"] == 3
    assert (await client.get(url, headers=tenant.headers)).json()["draft_revision"] == 3


async def test_a_stale_base_revision_is_a_conflict_that_says_who_saved(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    workflow = await _create(client, tenant.headers)
    url = f"/api/v1/workflows/{workflow['id']}"
    await make_member(runtime.db, tenant.id, "grace@example.com", Role.ADMIN)
    member = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    async with member:
        csrf = await login(member, "acme", "grace@example.com")
        moved = DRAFT | {"variables": {"by": "grace"}}
        r = await member.patch(url, headers=csrf, json={"definition": moved, "base_revision": 1})
        assert r.status_code == 200, r.text

    mine = DRAFT | {"variables": {"by": "me"}}
    r = await client.patch(
        url, headers=tenant.headers, json={"definition": mine, "base_revision": 1}
    )
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "draft_conflict"
    assert "grace@example.com" in problem["detail"] and "UTC" in problem["detail"]
    assert problem["revision"] == 2 and problem["saved_at"]
    stored = (await client.get(url, headers=tenant.headers)).json()
    assert stored["definition"]["variables"] == {"by": "grace"}
    assert stored["draft_revision"] == 2

    r = await client.patch(url, headers=tenant.headers, json={"definition": mine})
    assert r.status_code == 200 and r.json()["draft_revision"] == 3
    r = await client.patch(
        url, headers=tenant.headers, json={"definition": DRAFT, "base_revision": 2}
    )
    assert r.status_code == 409 and "API key" in r.json()["detail"]


async def test_base_revision_must_be_positive(client: httpx.AsyncClient, tenant: TenantCtx):
    workflow = await _create(client, tenant.headers)
    r = await client.patch(
        f"/api/v1/workflows/{workflow['id']}",
        headers=tenant.headers,
        json={"definition": DRAFT, "base_revision": 0},
    )
    assert r.status_code == 422
