"""Workflows through the API with the in-process worker: versions, runs, operations, approvals."""

from __future__ import annotations

import httpx

from frontdesk.core.auth import Role
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import api_key
from tests.workflows.helpers import deploy, graph, setter, start, wait_for

SIMPLE = graph(
    [
        ("s", "start", {}),
        ("c", "condition", {"rules": {"logical": "AND", "conditions": [
            {"field": "input.amount", "operator": "greater", "value": 100}]}}),
        ("big", "set", setter("size", "big")),
        ("small", "set", setter("size", "small")),
        ("e", "end", {"output": {"size": "{{ vars.size }}", "amount": "{{ input.amount }}"}}),
    ],
    [("s", "c", None), ("c", "big", "true"), ("c", "small", "false"), ("big", "e", None),
     ("small", "e", None)],
)


async def test_invalid_draft_lists_every_problem_and_makes_no_version(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    broken = graph(
        [("s", "start", {}), ("x", "teleport", {}), ("d", "delay", {"seconds": -5}),
         ("lost", "end", {})],
        [("s", "x", None), ("s", "nowhere", None)],
    )
    r = await client.post("/api/v1/workflows", headers=tenant.headers, json={"name": "b", "definition": broken})
    assert r.status_code == 201
    wid = r.json()["id"]
    r = await client.post(f"/api/v1/workflows/{wid}/versions", headers=tenant.headers, json={})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    codes = {p["code"] for p in r.json()["problems"]}
    assert len(r.json()["problems"]) >= 3, codes
    versions = await client.get(f"/api/v1/workflows/{wid}/versions", headers=tenant.headers)
    assert versions.json() == []


async def test_run_completes_and_is_pinned_to_its_version(client: httpx.AsyncClient, tenant: TenantCtx):
    wid, v1 = await deploy(client, tenant.headers, SIMPLE)
    run = await start(client, tenant.headers, wid, input={"amount": 250}, entity_type="order", entity_id="A1")
    body = await wait_for(client, tenant.headers, run, "completed")
    assert body["output"] == {"size": "big", "amount": 250}
    assert body["version_id"] == v1
    assert [s["node_id"] for s in body["steps"]] == ["s", "c", "big", "e"]
    assert body["steps"][1]["handle"] == "true" and "250" in body["steps"][1]["explanation"]

    timeline = (await client.get(f"/api/v1/workflow-instances/{run}/timeline", headers=tenant.headers)).json()
    assert timeline["total_steps"] == 4 and timeline["success_rate"] == 1.0
    assert all(e["duration_ms"] is not None for e in timeline["entries"])

    changed = {**SIMPLE, "nodes": [*SIMPLE["nodes"][:2], {**SIMPLE["nodes"][2], "data": setter("size", "huge")},
                                   *SIMPLE["nodes"][3:]]}
    r = await client.patch(f"/api/v1/workflows/{wid}", headers=tenant.headers, json={"definition": changed})
    assert r.status_code == 200
    v2 = (await client.post(f"/api/v1/workflows/{wid}/versions", headers=tenant.headers, json={"notes": "huge"})).json()
    assert v2["number"] == 2 and v2["parent_id"] == v1
    diff = (await client.get(f"/api/v1/workflows/{wid}/diff", headers=tenant.headers,
                             params={"from": v1, "to": v2["id"]})).json()
    assert diff["summary"]["nodes_changed"] == 1

    old = await start(client, tenant.headers, wid, input={"amount": 500})
    assert (await wait_for(client, tenant.headers, old, "completed"))["output"]["size"] == "big"
    await client.post(f"/api/v1/workflows/{wid}/activate", headers=tenant.headers, json={"version_id": v2["id"]})
    new = await start(client, tenant.headers, wid, input={"amount": 500})
    assert (await wait_for(client, tenant.headers, new, "completed"))["output"]["size"] == "huge"

    log = (await client.get(f"/api/v1/workflows/{wid}/audit-log", headers=tenant.headers)).json()
    kinds = [e["event_type"] for e in log["items"]]
    for kind in ("created", "modified", "version_created", "activated"):
        assert kind in kinds
    assert (await client.get(f"/api/v1/workflows/{wid}/audit-log/verify", headers=tenant.headers)).json()["ok"]

    metrics = (await client.get(f"/api/v1/workflows/{wid}/metrics", headers=tenant.headers)).json()
    assert sum(m["completed"] for m in metrics) == 3


async def test_delay_skip_and_cancel(client: httpx.AsyncClient, tenant: TenantCtx):
    wid, _ = await deploy(client, tenant.headers, graph(
        [("s", "start", {}), ("d", "delay", {"seconds": 3600}), ("a", "set", setter("after", True)),
         ("d2", "delay", {"seconds": 3600}), ("e", "end", {"output": "{{ vars.after }}"})],
        [("s", "d", None), ("d", "a", None), ("a", "d2", None), ("d2", "e", None)],
    ))
    run = await start(client, tenant.headers, wid)
    body = await wait_for(client, tenant.headers, run, "waiting")
    assert body["waiting"] == [] and body["steps"][-1]["status"] == "waiting"
    r = await client.post(f"/api/v1/workflow-instances/{run}/skip-node/d", headers=tenant.headers,
                          json={"reason": "customer called already"})
    assert r.status_code == 202
    for _ in range(100):
        body = (await client.get(f"/api/v1/workflow-instances/{run}", headers=tenant.headers)).json()
        if any(s["node_id"] == "d2" for s in body["steps"]):
            break
    skipped = next(s for s in body["steps"] if s["node_id"] == "d")
    assert skipped["status"] == "skipped" and skipped["skip_reason"] == "customer called already"
    await client.post(f"/api/v1/workflow-instances/{run}/cancel", headers=tenant.headers)
    body = await wait_for(client, tenant.headers, run, "cancelled")
    assert body["error"]["class"] == "cancelled"


async def test_approval_allowed_roles(client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime):
    wid, _ = await deploy(client, tenant.headers, graph(
        [("s", "start", {}),
         ("ok", "approval", {"title": "Refund {{ input.amount }}", "allowed_roles": ["admin"]}),
         ("yes", "end", {"output": "approved"}), ("no", "end", {"output": "rejected"})],
        [("s", "ok", None), ("ok", "yes", "approved"), ("ok", "no", "rejected")],
    ))
    run = await start(client, tenant.headers, wid, input={"amount": 80})
    body = await wait_for(client, tenant.headers, run, "waiting")
    assert body["waiting"][0]["kind"] == "approval"
    assert body["waiting"][0]["data"]["title"] == "Refund 80"
    agent = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.AGENT)}"}
    r = await client.post(f"/api/v1/workflow-instances/{run}/approvals/ok", headers=agent,
                          json={"decision": "approve"})
    assert r.status_code == 403
    r = await client.post(f"/api/v1/workflow-instances/{run}/approvals/ok", headers=tenant.headers,
                          json={"decision": "approve", "comment": "fine"})
    assert r.status_code == 202
    assert (await wait_for(client, tenant.headers, run, "completed"))["output"] == "approved"
    r = await client.post(f"/api/v1/workflow-instances/{run}/approvals/ok", headers=tenant.headers,
                          json={"decision": "approve"})
    assert r.status_code == 404, "a decision is taken once"


async def test_ab_variants_split_runs(client: httpx.AsyncClient, tenant: TenantCtx):
    wid, v1 = await deploy(client, tenant.headers, SIMPLE)
    v2 = (await client.post(f"/api/v1/workflows/{wid}/versions", headers=tenant.headers, json={})).json()["id"]
    r = await client.put(f"/api/v1/workflows/{wid}/variants", headers=tenant.headers,
                         json={"variants": [{"version_id": v1, "weight": 50}, {"version_id": v2, "weight": 50}]})
    assert r.status_code == 200
    runs = [await start(client, tenant.headers, wid, input={"amount": 1}) for _ in range(20)]
    versions = set()
    for run in runs:
        versions.add((await wait_for(client, tenant.headers, run, "completed"))["variant"])
    assert versions == {v1, v2}
    metrics = (await client.get(f"/api/v1/workflows/{wid}/metrics", headers=tenant.headers)).json()
    assert {m["variant"] for m in metrics} == {v1, v2}


async def test_subworkflow_and_its_output(client: httpx.AsyncClient, tenant: TenantCtx):
    child, _ = await deploy(client, tenant.headers, graph(
        [("s", "start", {}), ("e", "end", {"output": {"doubled": "{{ input.n * 2 }}"}})],
        [("s", "e", None)],
    ), name="child")
    parent, _ = await deploy(client, tenant.headers, graph(
        [("s", "start", {}), ("call", "subworkflow", {"workflow_id": child, "input": {"n": "{{ input.n }}"}}),
         ("e", "end", {"output": "{{ nodes.call.doubled }}"})],
        [("s", "call", None), ("call", "e", None)],
    ), name="parent")
    run = await start(client, tenant.headers, parent, input={"n": 21})
    assert (await wait_for(client, tenant.headers, run, "completed"))["output"] == 42


async def test_recursive_subworkflow_stops_at_the_depth_limit(client: httpx.AsyncClient, tenant: TenantCtx):
    r = await client.post("/api/v1/workflows", headers=tenant.headers, json={"name": "loop"})
    wid = r.json()["id"]
    definition = graph(
        [("s", "start", {}), ("again", "subworkflow", {"workflow_id": wid}), ("e", "end", {})],
        [("s", "again", None), ("again", "e", None)],
    )
    await client.patch(f"/api/v1/workflows/{wid}", headers=tenant.headers, json={"definition": definition})
    vid = (await client.post(f"/api/v1/workflows/{wid}/versions", headers=tenant.headers, json={})).json()["id"]
    await client.post(f"/api/v1/workflows/{wid}/activate", headers=tenant.headers, json={"version_id": vid})
    run = await start(client, tenant.headers, wid)
    body = await wait_for(client, tenant.headers, run, "failed", timeout=30)
    assert "sub-workflow" in body["error"]["message"]
    runs = (await client.get("/api/v1/workflow-instances", headers=tenant.headers,
                             params={"workflow_id": wid, "limit": 50})).json()
    assert max(r["level"] for r in runs) == 5


async def test_runs_are_tenant_scoped(client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx):
    wid, _ = await deploy(client, tenant.headers, SIMPLE)
    run = await start(client, tenant.headers, wid, input={"amount": 1})
    assert (await client.get(f"/api/v1/workflow-instances/{run}", headers=other_tenant.headers)).status_code == 404
    r = await client.post(f"/api/v1/workflows/{wid}/runs", headers=other_tenant.headers, json={})
    assert r.status_code == 404
