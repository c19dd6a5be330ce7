"""The workflow task routes: list with filters, complete (machines and agents), tenancy."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from frontdesk.core.auth import Role
from frontdesk.core.outbox import OutboxEvent
from frontdesk.runtime import Runtime
from frontdesk.workflows.models import WorkflowTask
from tests.conftest import TenantCtx
from tests.factories import api_key, make_member

URL = "/api/v1/workflow-tasks"


async def add_task(
    runtime: Runtime, tenant_id: str, key: str, title: str, assignee: str | None = None
) -> str:
    async with runtime.db.tenant_tx(tenant_id) as session:
        task = WorkflowTask(
            tenant_id=tenant_id,
            idempotency_key=key,
            title=title,
            assignee_id=assignee,
            instance_id="run-1",
        )
        session.add(task)
        await session.flush()
        return task.id


async def test_list_filters_and_pages(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    ann = await make_member(runtime.db, tenant.id, "ann@example.com", Role.AGENT)
    first = await add_task(runtime, tenant.id, "k1", "Call Ann's customer", ann)
    second = await add_task(runtime, tenant.id, "k2", "Unassigned")
    r = await client.get(URL, headers=tenant.headers)
    assert r.status_code == 200, r.text
    assert [t["id"] for t in r.json()] == [second, first]  # newest first
    mine = (await client.get(URL, headers=tenant.headers, params={"assignee_id": ann})).json()
    assert [t["title"] for t in mine] == ["Call Ann's customer"]
    page = (await client.get(URL, headers=tenant.headers, params={"limit": 1, "offset": 1})).json()
    assert [t["id"] for t in page] == [first]
    r = await client.get(URL, headers=tenant.headers, params={"status": "bogus"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_complete_records_who_and_publishes_once(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    task_id = await add_task(runtime, tenant.id, "k1", "Approve refund")
    body = {"note": "done by phone", "result": {"approved": True}}
    r = await client.post(f"{URL}/{task_id}/complete", headers=tenant.headers, json=body)
    assert r.status_code == 200, r.text
    task = r.json()
    assert task["status"] == "completed" and task["completed_at"]
    assert task["data"]["result"] == {"approved": True} and task["data"]["note"] == "done by phone"
    again = await client.post(f"{URL}/{task_id}/complete", headers=tenant.headers)
    assert again.status_code == 200 and again.json()["completed_at"] == task["completed_at"]
    open_ = (await client.get(URL, headers=tenant.headers, params={"status": "open"})).json()
    assert open_ == []
    async with runtime.db.tenant_session(tenant.id) as session:
        events = list(
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "workflow.task_completed")
            )
        )
    assert [e.payload for e in events] == [
        {"task_id": task_id, "instance_id": "run-1", "result": {"approved": True}}
    ]


async def test_who_may_complete(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    task_id = await add_task(runtime, tenant.id, "k1", "Check stock")
    viewer = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.VIEWER)}"}
    r = await client.post(f"{URL}/{task_id}/complete", headers=viewer)
    assert r.status_code == 403
    assert (await client.get(URL, headers=viewer)).status_code == 200
    for role in (Role.AGENT, Role.DEVELOPER):  # conversations:write / workflows:run
        key = await api_key(runtime.db, tenant.id, role)
        other = await add_task(runtime, tenant.id, f"k-{role.value}", "Another")
        r = await client.post(f"{URL}/{other}/complete", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200, (role, r.text)


async def test_bad_input_and_unknown_tasks(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    theirs = await add_task(runtime, other_tenant.id, "k1", "Their task")
    r = await client.post(f"{URL}/{theirs}/complete", headers=tenant.headers)
    assert r.status_code == 404
    mine = await add_task(runtime, tenant.id, "k1", "Mine")
    r = await client.post(f"{URL}/{mine}/complete", headers=tenant.headers, json={"x": 1})
    assert r.status_code == 422
    r = await client.post(
        f"{URL}/{mine}/complete", headers=tenant.headers, json={"note": "n" * 2001}
    )
    assert r.status_code == 422
