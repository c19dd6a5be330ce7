"""The tasks API: create, read, filter, change, move through states; validation and tenancy."""

from __future__ import annotations

import re
from contextlib import aclosing
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from frontdesk.core.auth import Role
from frontdesk.runtime import Runtime
from frontdesk.workflows.models import WorkflowTask
from tests.conftest import TenantCtx
from tests.factories import api_key, login, make_member
from tests.tasks.helpers import URL, create, events, webchat_conversation

PAST = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
FUTURE = (datetime.now(UTC) + timedelta(days=2)).isoformat()


def problem(r: httpx.Response, status: int) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = r.json()
    return body


async def test_create_read_and_change(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    ann = await make_member(runtime.db, tenant.id, "ann@acme.example", Role.AGENT)
    bob = await make_member(runtime.db, tenant.id, "bob@acme.example", Role.AGENT)
    task = await create(
        client,
        tenant,
        title="  Call Mrs Smith back  ",
        description="About the broken kettle",
        assignee_id=ann,
        due_at=FUTURE,
        priority="high",
    )
    assert task["title"] == "Call Mrs Smith back"
    assert (task["status"], task["priority"], task["source"]) == ("open", "high", "api")
    assert task["assignee_id"] == ann and task["overdue"] is False
    assert re.fullmatch(r"T-[0-9A-F]{6}", task["ref"])
    assert task["ref"][2:] == task["id"].replace("-", "")[-6:].upper()

    r = await client.get(f"{URL}/{task['id']}", headers=tenant.headers)
    assert r.status_code == 200 and r.json()["description"] == "About the broken kettle"

    r = await client.patch(
        f"{URL}/{task['id']}",
        headers=tenant.headers,
        json={"title": "Call Mrs Smith", "priority": "urgent", "assignee_id": bob, "due_at": None},
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["title"], changed["priority"], changed["assignee_id"]) == (
        "Call Mrs Smith",
        "urgent",
        bob,
    )
    assert changed["due_at"] is None and changed["description"] == "About the broken kettle"
    assert changed["updated_at"] >= task["updated_at"]
    assigned = await events(runtime, tenant.id, "task.assigned")
    assert [(e["assignee_id"], e["previous_assignee_id"]) for e in assigned] == [
        (ann, None),
        (bob, ann),
    ]
    [created] = await events(runtime, tenant.id, "task.created")
    assert created["task_id"] == task["id"] and created["ref"] == task["ref"]
    assert created["source"] == "api" and created["priority"] == "high"


async def test_list_filters(client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx) -> None:
    ann = await make_member(runtime.db, tenant.id, "ann@acme.example", Role.AGENT)
    _, _, conversation = await webchat_conversation(client, tenant)
    late = await create(client, tenant, title="Late", due_at=PAST, assignee_id=ann)
    later = await create(client, tenant, title="Later", due_at=FUTURE)
    linked = await create(client, tenant, title="Linked", conversation_id=conversation["id"])
    done = await create(client, tenant, title="Done", due_at=PAST)
    await client.post(f"{URL}/{done['id']}/complete", headers=tenant.headers)

    async def titles(**params: object) -> list[str]:
        r = await client.get(URL, headers=tenant.headers, params=params)
        assert r.status_code == 200, r.text
        return [t["title"] for t in r.json()]

    assert await titles() == ["Done", "Linked", "Later", "Late"]  # newest first
    assert await titles(status="completed") == ["Done"]
    assert await titles(assignee_id=ann) == ["Late"]
    assert await titles(unassigned=True) == ["Done", "Linked", "Later"]
    assert await titles(conversation_id=conversation["id"]) == ["Linked"]
    assert await titles(overdue=True) == ["Late"]  # a finished task is never overdue
    assert await titles(overdue=False) == ["Done", "Linked", "Later"]
    assert await titles(limit=2, offset=1) == ["Linked", "Later"]
    r = await client.get(f"{URL}/{late['id']}", headers=tenant.headers)
    assert r.json()["overdue"] is True
    r = await client.get(f"{URL}/{later['id']}", headers=tenant.headers)
    assert r.json()["overdue"] is False
    assert linked["contact_id"] == conversation["contact_id"]
    problem(await client.get(URL, headers=tenant.headers, params={"status": "bogus"}), 422)
    problem(await client.get(URL, headers=tenant.headers, params={"limit": 0}), 422)
    both = {"assignee_id": ann, "unassigned": True}
    problem(await client.get(URL, headers=tenant.headers, params=both), 422)


async def test_mine_is_the_logged_in_members(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    ann = await make_member(runtime.db, tenant.id, "ann@acme.example", Role.AGENT)
    await create(client, tenant, title="For Ann", assignee_id=ann)
    await create(client, tenant, title="For nobody")
    body = problem(await client.get(URL, headers=tenant.headers, params={"mine": True}), 422)
    assert body["code"] == "validation_error"
    agent = httpx.AsyncClient(transport=client._transport, base_url="http://test")
    async with aclosing(agent):
        csrf = await login(agent, tenant.slug, "ann@acme.example")
        r = await agent.get(URL, params={"mine": True})
        assert [t["title"] for t in r.json()] == ["For Ann"]
        # An agent works on their tasks (cookie writes carry the CSRF header).
        task_id = r.json()[0]["id"]
        r = await agent.post(f"{URL}/{task_id}/start", headers=csrf)
        assert r.status_code == 200 and r.json()["data"]["started_by"] == ann


async def test_transitions_and_their_409s(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    task = await create(client, tenant)
    base = f"{URL}/{task['id']}"
    r = await client.post(f"{base}/start", headers=tenant.headers)
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    body = problem(await client.post(f"{base}/start", headers=tenant.headers), 409)
    assert body["code"] == "conflict" and body["status"] == 409
    assert body["task_status"] == "in_progress"
    r = await client.post(f"{base}/complete", headers=tenant.headers, json={"note": "rang her"})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "completed" and done["completed_at"]
    assert done["data"]["note"] == "rang her"
    for action in ("start", "complete", "cancel"):
        problem(await client.post(f"{base}/{action}", headers=tenant.headers), 409)
    problem(await client.patch(base, headers=tenant.headers, json={"title": "x"}), 409)

    other = await create(client, tenant, title="Not needed")
    r = await client.post(f"{URL}/{other['id']}/cancel", headers=tenant.headers, json={})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    for action in ("start", "complete", "cancel"):
        problem(await client.post(f"{URL}/{other['id']}/{action}", headers=tenant.headers), 409)

    fresh = await create(client, tenant, title="Straight to done")
    r = await client.post(f"{URL}/{fresh['id']}/complete", headers=tenant.headers)
    assert r.status_code == 200  # open → completed needs no start
    [completed, straight] = await events(runtime, tenant.id, "task.completed")
    assert completed["task_id"] == task["id"] and completed["note"] == "rang her"
    assert completed["status"] == "completed" and straight["task_id"] == fresh["id"]
    [cancelled] = await events(runtime, tenant.id, "task.cancelled")
    assert cancelled["task_id"] == other["id"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 301},
        {"title": "t", "priority": "asap"},
        {"title": "t", "due_at": "2030-01-01T10:00:00"},  # no time zone
        {"title": "t", "due_at": "next week"},
        {"title": "t", "description": "d" * 5001},
        {"title": "t", "tenant_id": "other"},
        {"title": "t", "status": "completed"},
    ],
)
async def test_bad_bodies_are_422(
    client: httpx.AsyncClient, tenant: TenantCtx, body: dict[str, object]
) -> None:
    problem(await client.post(URL, headers=tenant.headers, json=body), 422)


async def test_unknown_assignee_or_conversation_is_422(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    theirs = await make_member(runtime.db, other_tenant.id, "eve@globex.example", Role.AGENT)
    _, _, their_conversation = await webchat_conversation(client, other_tenant)
    for body in (
        {"assignee_id": "no-such-member"},
        {"assignee_id": theirs},
        {"conversation_id": "no-such-conversation"},
        {"conversation_id": their_conversation["id"]},
    ):
        r = await client.post(URL, headers=tenant.headers, json={"title": "t", **body})
        assert problem(r, 422)["field"] in body, body
    task = await create(client, tenant)
    for body in (
        {"assignee_id": theirs},
        {"title": None},
        {"priority": None},
        {"description": None},
        {"status": "completed"},
    ):
        problem(await client.patch(f"{URL}/{task['id']}", headers=tenant.headers, json=body), 422)
    problem(
        await client.post(f"{URL}/{task['id']}/complete", headers=tenant.headers, json={"x": 1}),
        422,
    )
    assert await events(runtime, tenant.id, "task.assigned") == []


async def test_tenants_see_and_touch_only_their_tasks(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    task = await create(client, tenant, title="Acme's secret")
    base = f"{URL}/{task['id']}"
    b = other_tenant.headers
    problem(await client.get(base, headers=b), 404)
    problem(await client.patch(base, headers=b, json={"title": "hijacked"}), 404)
    for action in ("start", "complete", "cancel"):
        problem(await client.post(f"{base}/{action}", headers=b), 404)
    assert (await client.get(URL, headers=b)).json() == []
    r = await client.get(base, headers=tenant.headers)
    assert (r.json()["title"], r.json()["status"]) == ("Acme's secret", "open")
    problem(await client.get(f"{URL}/no-such-task", headers=tenant.headers), 404)


async def test_permissions(client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx) -> None:
    task = await create(client, tenant)
    viewer = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.VIEWER)}"}
    assert (await client.get(URL, headers=viewer)).status_code == 200
    problem(await client.post(URL, headers=viewer, json={"title": "t"}), 403)
    problem(await client.post(f"{URL}/{task['id']}/complete", headers=viewer), 403)
    problem(await client.get(URL), 401)
    agent = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.AGENT)}"}
    r = await client.post(f"{URL}/{task['id']}/complete", headers=agent)
    assert r.status_code == 200, r.text


async def test_workflow_tasks_are_the_same_tasks(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    async with runtime.db.tenant_tx(tenant.id) as session:
        row = WorkflowTask(
            tenant_id=tenant.id, idempotency_key="step-1", title="Approve", instance_id="run-1"
        )
        session.add(row)
        await session.flush()
        task_id = row.id
    r = await client.get(f"{URL}/{task_id}", headers=tenant.headers)
    assert (r.json()["source"], r.json()["priority"]) == ("workflow", "normal")
    await client.post(f"{URL}/{task_id}/start", headers=tenant.headers)
    listed = await client.get(
        "/api/v1/workflow-tasks", headers=tenant.headers, params={"status": "in_progress"}
    )
    assert [t["id"] for t in listed.json()] == [task_id]
    r = await client.post(f"{URL}/{task_id}/complete", headers=tenant.headers)
    assert r.status_code == 200, r.text
    # A waiting workflow still hears of it, as it did through /workflow-tasks.
    assert await events(runtime, tenant.id, "workflow.task_completed") == [
        {"task_id": task_id, "instance_id": "run-1", "result": {}}
    ]
    [completed] = await events(runtime, tenant.id, "task.completed")
    assert completed["instance_id"] == "run-1"
