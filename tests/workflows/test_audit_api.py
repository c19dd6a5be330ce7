"""The audit-log routes: list, filters, pages, CSV export, verification, tenancy and roles."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import delete

from frontdesk.core.auth import Role
from frontdesk.runtime import Runtime
from frontdesk.workflows import audit
from frontdesk.workflows.models import Workflow
from tests.conftest import TenantCtx
from tests.factories import api_key, login, make_member
from tests.workflows.audit_helpers import add_entry, edit_details, make_workflow, tamper

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
KINDS = [
    audit.CREATED,
    audit.MODIFIED,
    audit.VERSION_CREATED,
    audit.ACTIVATED,
    audit.MODIFIED,
    audit.NODE_SKIPPED,
]


async def _seeded(runtime: Runtime, tenant: TenantCtx) -> str:
    wf = await make_workflow(runtime.db, tenant.id)
    for hour, kind in enumerate(KINDS):
        details = {"hour": hour, "note": "=1+1" if hour == 1 else "ok"}
        await add_entry(runtime.db, tenant.id, wf, kind, details=details, at=T0.replace(hour=hour))
    return wf


def _url(workflow_id: str, tail: str = "") -> str:
    return f"/api/v1/workflows/{workflow_id}/audit-log{tail}"


async def test_list_filters_and_pages(client: httpx.AsyncClient, runtime: Runtime, tenant):
    wf = await _seeded(runtime, tenant)
    r = await client.get(_url(wf), headers=tenant.headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert (page["total"], page["offset"], page["limit"]) == (6, 0, 50)
    assert [item["seq"] for item in page["items"]] == [6, 5, 4, 3, 2, 1]
    first = page["items"][-1]
    assert first["event_type"] == "created" and first["category"] == "definition"
    assert first["actor"] == "apikey:k1" and first["prev_hash"] == audit.GENESIS
    assert datetime.fromisoformat(first["at"]) == T0.replace(hour=0)

    r = await client.get(_url(wf), headers=tenant.headers, params={"offset": 2, "limit": 3})
    assert [item["seq"] for item in r.json()["items"]] == [4, 3, 2]
    r = await client.get(_url(wf), headers=tenant.headers, params={"event_type": "modified"})
    assert r.json()["total"] == 2 and [i["seq"] for i in r.json()["items"]] == [5, 2]
    r = await client.get(_url(wf), headers=tenant.headers, params={"category": "operation"})
    assert [i["event_type"] for i in r.json()["items"]] == ["node_skipped"]
    window = {"from": T0.replace(hour=2).isoformat(), "to": T0.replace(hour=4).isoformat()}
    r = await client.get(_url(wf), headers=tenant.headers, params=window)
    assert [i["seq"] for i in r.json()["items"]] == [4, 3]


async def test_bad_filters_are_problems(client: httpx.AsyncClient, runtime: Runtime, tenant):
    wf = await _seeded(runtime, tenant)
    for params in (
        {"event_type": "renamed"},
        {"category": "misc"},
        {"from": "yesterday"},
        {"from": "2026-11-01T10:00:00"},  # no offset: ambiguous
        {"from": T0.isoformat(), "to": (T0 - timedelta(days=1)).isoformat()},
        {"limit": 0},
        {"limit": 501},
        {"offset": -1},
    ):
        r = await client.get(_url(wf), headers=tenant.headers, params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"


async def test_export_is_a_csv_download(client: httpx.AsyncClient, runtime: Runtime, tenant):
    wf = await _seeded(runtime, tenant)
    r = await client.get(_url(wf, "/export"), headers=tenant.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == f'attachment; filename="workflow-{wf}-audit.csv"'
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["seq", "at", "event_type", "category", "actor", "details", "hash"]
    assert [row[0] for row in rows[1:]] == ["1", "2", "3", "4", "5", "6"]  # oldest first
    assert '"note":"=1+1"' in rows[2][5]  # inside JSON, not at the start of a cell

    r = await client.get(
        _url(wf, "/export"), headers=tenant.headers, params={"event_type": "modified"}
    )
    assert [row[0] for row in csv.reader(io.StringIO(r.text))][1:] == ["2", "5"]


async def test_verify_reports_the_broken_link(client: httpx.AsyncClient, runtime: Runtime, tenant):
    wf = await _seeded(runtime, tenant)
    r = await client.get(_url(wf, "/verify"), headers=tenant.headers)
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["ok"] and result["entries"] == 6 and result["broken_at_seq"] is None
    head = (await client.get(_url(wf), headers=tenant.headers)).json()["items"][0]["hash"]
    assert result["head_hash"] == head

    await tamper(runtime.db, edit_details(wf, 4, {"hour": 3, "note": "nothing to see"}))
    result = (await client.get(_url(wf, "/verify"), headers=tenant.headers)).json()
    assert not result["ok"] and result["broken_at_seq"] == 4 and result["entries"] == 3
    assert "hash" in result["reason"]


async def test_other_tenants_and_unknown_workflows_get_404(
    client: httpx.AsyncClient, runtime: Runtime, tenant, other_tenant
):
    wf = await _seeded(runtime, tenant)
    empty = await make_workflow(runtime.db, other_tenant.id)
    for workflow_id, headers in ((wf, other_tenant.headers), ("nope", tenant.headers)):
        for tail in ("", "/export", "/verify"):
            r = await client.get(_url(workflow_id, tail), headers=headers)
            assert r.status_code == 404, (workflow_id, tail, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["code"] == "not_found"
    r = await client.get(_url(empty), headers=other_tenant.headers)
    assert r.status_code == 200 and r.json() == {"items": [], "total": 0, "offset": 0, "limit": 50}


async def test_the_log_outlives_its_workflow(client: httpx.AsyncClient, runtime: Runtime, tenant):
    wf = await _seeded(runtime, tenant)
    async with runtime.db.tenant_tx(tenant.id) as session:
        await audit.append(session, tenant.id, wf, "deleted", "definition", "apikey:k1", {})
        await session.execute(delete(Workflow).where(Workflow.id == wf))
    r = await client.get(_url(wf), headers=tenant.headers)
    assert r.status_code == 200 and r.json()["items"][0]["event_type"] == "deleted"
    assert (await client.get(_url(wf, "/verify"), headers=tenant.headers)).json()["ok"]


async def test_roles(client: httpx.AsyncClient, runtime: Runtime, tenant):
    wf = await _seeded(runtime, tenant)
    viewer = await api_key(runtime.db, tenant.id, Role.VIEWER)
    agent = await api_key(runtime.db, tenant.id, Role.AGENT)
    r = await client.get(_url(wf), headers={"Authorization": f"Bearer {viewer}"})
    assert r.status_code == 200
    r = await client.get(_url(wf, "/export"), headers={"Authorization": f"Bearer {agent}"})
    assert r.status_code == 200, "agents read workflows (they decide approvals)"
    assert (await client.get(_url(wf))).status_code == 401


async def test_changes_made_through_the_workflow_api_are_audited(
    app, client: httpx.AsyncClient, runtime: Runtime, tenant
):
    """A console member edits a workflow; the workflow service writes the audit entries."""
    member_id = await make_member(runtime.db, tenant.id, "ops@example.com", Role.CONFIG_MANAGER)
    console = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    async with console:
        csrf = await login(console, tenant.slug, "ops@example.com")
        wf = await _edit_through_the_api(console, csrf)
    items = (await client.get(_url(wf), headers=tenant.headers)).json()["items"]
    assert [i["event_type"] for i in items] == ["deleted", "modified", "created"]
    assert {i["actor"] for i in items} == {member_id}
    summary = items[1]["details"]["definition"]
    assert (summary["nodes_added"], summary["edges_added"], summary["unchanged"]) == (1, 1, False)
    verdict = (await client.get(_url(wf, "/verify"), headers=tenant.headers)).json()
    assert verdict["ok"] and verdict["entries"] == 3


async def _edit_through_the_api(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    start = {"id": "start", "type": "start", "position": {"x": 0, "y": 0}}
    end = {"id": "end", "type": "end", "position": {"x": 100, "y": 0}}
    definition = {"nodes": [start], "edges": []}
    r = await client.post(
        "/api/v1/workflows", headers=headers, json={"name": "Audited", "definition": definition}
    )
    assert r.status_code == 201, r.text
    wf: str = r.json()["id"]
    edited = {"nodes": [start, end], "edges": [{"id": "e1", "source": "start", "target": "end"}]}
    r = await client.patch(f"/api/v1/workflows/{wf}", headers=headers, json={"definition": edited})
    assert r.status_code == 200, r.text
    assert (await client.delete(f"/api/v1/workflows/{wf}", headers=headers)).status_code == 204
    return wf
