"""The reminders API: CRUD, snooze, cancel, validation and tenant isolation."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from frontdesk.core.auth import Role
from frontdesk.core.clock import utcnow
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import api_key
from tests.reminders.helpers import chat, create, in_hours, job_ids


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_create_get_list_and_update(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    _, _, conversation_id = await chat(client, tenant)
    reminder = await create(client, tenant, conversation_id, text="  call the bank  ")
    assert reminder["status"] == "scheduled"
    assert reminder["text"] == "call the bank"
    assert reminder["conversation_id"] == conversation_id
    assert reminder["timezone"] == "UTC"
    assert reminder["created_by"].startswith("api_key:")
    assert len(await job_ids(runtime, reminder["id"])) == 1

    r = await client.get(f"/api/v1/reminders/{reminder['id']}", headers=tenant.headers)
    assert r.status_code == 200 and r.json()["id"] == reminder["id"]

    later = await create(client, tenant, conversation_id, text="pay rent", due_at=in_hours(5))
    r = await client.get("/api/v1/reminders", headers=tenant.headers)
    assert [x["id"] for x in r.json()] == [reminder["id"], later["id"]]  # soonest first
    r = await client.get(
        "/api/v1/reminders",
        headers=tenant.headers,
        params={"status": "scheduled", "conversation_id": conversation_id},
    )
    assert len(r.json()) == 2
    r = await client.get("/api/v1/reminders", headers=tenant.headers, params={"status": "sent"})
    assert r.json() == []

    # A new text keeps the job; a new time enqueues a new one.
    r = await client.patch(
        f"/api/v1/reminders/{reminder['id']}", headers=tenant.headers, json={"text": "call mum"}
    )
    assert r.status_code == 200 and r.json()["text"] == "call mum"
    assert len(await job_ids(runtime, reminder["id"])) == 1
    due = in_hours(3)
    r = await client.patch(
        f"/api/v1/reminders/{reminder['id']}", headers=tenant.headers, json={"due_at": due}
    )
    assert r.status_code == 200
    assert at(r.json()["due_at"]) == at(due)
    assert len(await job_ids(runtime, reminder["id"])) == 2


async def test_naive_due_time_is_read_in_the_reminders_time_zone(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    _, _, conversation_id = await chat(client, tenant)
    local = (utcnow() + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    reminder = await create(
        client,
        tenant,
        conversation_id,
        due_at=local.replace(tzinfo=None).isoformat(),
        timezone="Asia/Tokyo",
    )
    assert reminder["timezone"] == "Asia/Tokyo"
    assert at(reminder["due_at"]) == local - timedelta(hours=9)  # 09:00 in Tokyo is 00:00 UTC


async def test_snooze_and_cancel(client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime):
    _, _, conversation_id = await chat(client, tenant)
    reminder = await create(client, tenant, conversation_id)
    path = f"/api/v1/reminders/{reminder['id']}"

    r = await client.post(f"{path}/snooze", headers=tenant.headers, json={"minutes": 15})
    assert r.status_code == 200
    snoozed = r.json()
    assert snoozed["snoozed_count"] == 1
    assert at(snoozed["due_at"]) == at(reminder["due_at"]) + timedelta(minutes=15)
    assert len(await job_ids(runtime, reminder["id"])) == 2

    r = await client.post(f"{path}/cancel", headers=tenant.headers)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"

    # A cancelled reminder can be neither cancelled, snoozed nor changed again.
    for method, suffix, body in (
        ("POST", "/cancel", None),
        ("POST", "/snooze", {"minutes": 5}),
        ("PATCH", "", {"text": "x"}),
    ):
        r = await client.request(method, f"{path}{suffix}", headers=tenant.headers, json=body)
        assert r.status_code == 409, (method, suffix)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "conflict"


class TestBadInput:
    @pytest.mark.parametrize(
        ("change", "status"),
        [
            ({"due_at": "PAST"}, 422),
            ({"due_at": "FAR"}, 422),
            ({"due_at": "not a date"}, 422),
            ({"text": ""}, 422),
            ({"text": "   "}, 422),
            ({"text": "x" * 501}, 422),
            ({"timezone": "Mars/Olympus"}, 422),
            ({"tenant_id": "other"}, 422),
            ({"conversation_id": "no-such-conversation"}, 404),
        ],
    )
    async def test_create_refuses(
        self, client: httpx.AsyncClient, tenant: TenantCtx, change: dict[str, str], status: int
    ):
        _, _, conversation_id = await chat(client, tenant)
        body = {"conversation_id": conversation_id, "text": "call the bank", "due_at": in_hours(1)}
        body.update(change)
        if body["due_at"] == "PAST":
            body["due_at"] = in_hours(-1)
        if body["due_at"] == "FAR":
            body["due_at"] = in_hours(24 * 366)
        r = await client.post("/api/v1/reminders", headers=tenant.headers, json=body)
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == ("not_found" if status == 404 else "validation_error")
        r = await client.get("/api/v1/reminders", headers=tenant.headers)
        assert r.json() == []

    async def test_update_and_snooze_refuse(self, client: httpx.AsyncClient, tenant: TenantCtx):
        _, _, conversation_id = await chat(client, tenant)
        reminder = await create(client, tenant, conversation_id)
        path = f"/api/v1/reminders/{reminder['id']}"
        for body in ({}, {"due_at": in_hours(-2)}, {"text": ""}, {"status": "sent"}):
            r = await client.patch(path, headers=tenant.headers, json=body)
            assert r.status_code == 422, body
            assert r.headers["content-type"] == "application/problem+json"
        for body in ({}, {"minutes": 0}, {"minutes": -5}, {"minutes": 7 * 24 * 60 + 1}):
            r = await client.post(f"{path}/snooze", headers=tenant.headers, json=body)
            assert r.status_code == 422, body
        r = await client.get(path, headers=tenant.headers)
        assert r.json()["due_at"] == reminder["due_at"] and r.json()["snoozed_count"] == 0

    async def test_unknown_ids_and_filters(self, client: httpx.AsyncClient, tenant: TenantCtx):
        r = await client.get("/api/v1/reminders/nope", headers=tenant.headers)
        assert r.status_code == 404 and r.json()["code"] == "not_found"
        r = await client.post("/api/v1/reminders/nope/cancel", headers=tenant.headers)
        assert r.status_code == 404
        r = await client.get("/api/v1/reminders", headers=tenant.headers, params={"status": "x"})
        assert r.status_code == 422

    async def test_permissions(
        self, client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
    ):
        _, _, conversation_id = await chat(client, tenant)
        reminder = await create(client, tenant, conversation_id)
        viewer = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.VIEWER)}"}
        r = await client.get("/api/v1/reminders", headers=viewer)
        assert r.status_code == 200 and len(r.json()) == 1
        r = await client.post(f"/api/v1/reminders/{reminder['id']}/cancel", headers=viewer)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        r = await client.get("/api/v1/reminders")
        assert r.status_code == 401


async def test_another_tenant_sees_and_changes_nothing(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
):
    _, _, conversation_id = await chat(client, tenant)
    reminder = await create(client, tenant, conversation_id)
    path = f"/api/v1/reminders/{reminder['id']}"
    b = other_tenant.headers

    assert (await client.get("/api/v1/reminders", headers=b)).json() == []
    r = await client.get(
        "/api/v1/reminders", headers=b, params={"conversation_id": conversation_id}
    )
    assert r.json() == []
    assert (await client.get(path, headers=b)).status_code == 404
    assert (await client.patch(path, headers=b, json={"text": "hijacked"})).status_code == 404
    assert (await client.post(f"{path}/snooze", headers=b, json={"minutes": 5})).status_code == 404
    assert (await client.post(f"{path}/cancel", headers=b)).status_code == 404
    r = await client.post(
        "/api/v1/reminders",
        headers=b,
        json={"conversation_id": conversation_id, "text": "hijack", "due_at": in_hours(1)},
    )
    assert r.status_code == 404

    r = await client.get(path, headers=tenant.headers)
    assert r.json()["text"] == "call the bank" and r.json()["status"] == "scheduled"
