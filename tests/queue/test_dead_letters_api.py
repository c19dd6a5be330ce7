"""The dead-letter routes: list, get, replay, discard; tenant walls and roles."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest

from frontdesk.core.auth import Role
from frontdesk.core.clock import utcnow
from frontdesk.queue.base import NewJob
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import api_key
from tests.queue.helpers import bury, job_row

BASE = "/api/v1/queue/dead-letters"
PROBLEM = "application/problem+json"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert body["status"] == status
    return body


async def test_list_shows_the_tenants_dead_jobs_newest_first(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
):
    db = runtime.db
    first = await bury(
        db, tenant.id, "email.send", {"to": "a@example.com"}, error="RuntimeError: smtp down"
    )
    second = await bury(db, tenant.id, "sms.send", {"to": "+100"})
    third = await bury(db, tenant.id, "email.send", {"to": "b@example.com"})
    await bury(db, other_tenant.id, "email.send")
    await bury(db, None, "system.cleanup")
    async with db.tenant_tx(tenant.id) as session:  # queued, not dead: never listed
        await runtime.queue.enqueue(
            session, NewJob("email.send", tenant_id=tenant.id, run_at=utcnow() + timedelta(hours=1))
        )

    r = await client.get(BASE, headers=tenant.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [j["id"] for j in body] == [third, second, first]
    oldest = body[-1]
    assert oldest["status"] == "dead"
    assert oldest["kind"] == "email.send"
    assert oldest["payload"] == {"to": "a@example.com"}
    assert oldest["last_error"] == "RuntimeError: smtp down"
    assert oldest["attempts"] == oldest["max_attempts"] == 5
    assert oldest["finished_at"] is not None

    r = await client.get(BASE, params={"kind": "email.send"}, headers=tenant.headers)
    assert [j["id"] for j in r.json()] == [third, first]
    r = await client.get(BASE, params={"limit": 2}, headers=tenant.headers)
    assert [j["id"] for j in r.json()] == [third, second]
    r = await client.get(BASE, params={"limit": 2, "offset": 2}, headers=tenant.headers)
    assert [j["id"] for j in r.json()] == [first]
    r = await client.get(
        BASE, params={"kind": "email.send", "limit": 1, "offset": 1}, headers=tenant.headers
    )
    assert [j["id"] for j in r.json()] == [first]


async def test_list_is_empty_without_dead_jobs(client: httpx.AsyncClient, tenant: TenantCtx):
    r = await client.get(BASE, headers=tenant.headers)
    assert r.status_code == 200
    assert r.json() == []


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "many"}]
)
async def test_bad_paging_is_a_validation_problem(
    client: httpx.AsyncClient, tenant: TenantCtx, params: dict[str, Any]
):
    body = assert_problem(await client.get(BASE, params=params, headers=tenant.headers), 422)
    assert body["code"] == "validation_error"


async def test_get_one_dead_letter(client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx):
    job_id = await bury(runtime.db, tenant.id, "email.send", {"n": 1}, error="ValueError: x")
    r = await client.get(f"{BASE}/{job_id}", headers=tenant.headers)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == job_id
    assert r.json()["last_error"] == "ValueError: x"


async def test_unknown_or_live_job_is_not_a_dead_letter(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    async with runtime.db.tenant_tx(tenant.id) as session:
        queued = await runtime.queue.enqueue(
            session, NewJob("email.send", tenant_id=tenant.id, run_at=utcnow() + timedelta(hours=1))
        )
    for job_id in (queued, "00000000-0000-7000-8000-000000000000", "not-an-id"):
        assert_problem(await client.get(f"{BASE}/{job_id}", headers=tenant.headers), 404)
        assert_problem(await client.post(f"{BASE}/{job_id}/replay", headers=tenant.headers), 404)
        assert_problem(await client.delete(f"{BASE}/{job_id}", headers=tenant.headers), 404)
    row = await job_row(runtime.db, queued)
    assert (row.status, row.attempts) == ("queued", 0)


async def test_replay_queues_the_job_again_with_a_fresh_budget(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    job_id = await bury(runtime.db, tenant.id, "no.such.kind", {"n": 1}, attempts=5)

    r = await client.post(f"{BASE}/{job_id}/replay", headers=tenant.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == job_id
    assert (body["status"], body["attempts"], body["finished_at"]) == ("queued", 0, None)
    assert body["payload"] == {"n": 1}

    # The app's workers run it again: this kind has no handler, so it is buried after one
    # attempt of its new budget.
    deadline = time.monotonic() + 5
    while True:
        r = await client.get(f"{BASE}/{job_id}", headers=tenant.headers)
        if r.status_code == 200:
            break
        assert time.monotonic() < deadline, "the replayed job never ran"
        await asyncio.sleep(0.02)
    assert r.json()["attempts"] == 1
    assert "no handler for job kind" in r.json()["last_error"]


async def test_discard_deletes_the_dead_letter(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    job_id = await bury(runtime.db, tenant.id)
    kept = await bury(runtime.db, tenant.id)

    r = await client.delete(f"{BASE}/{job_id}", headers=tenant.headers)
    assert r.status_code == 204
    assert r.content == b""

    assert_problem(await client.get(f"{BASE}/{job_id}", headers=tenant.headers), 404)
    assert_problem(await client.delete(f"{BASE}/{job_id}", headers=tenant.headers), 404)
    r = await client.get(BASE, headers=tenant.headers)
    assert [j["id"] for j in r.json()] == [kept]


async def test_other_tenant_cannot_see_or_touch_dead_letters(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx
):
    job_id = await bury(runtime.db, tenant.id, error="RuntimeError: secret detail")

    r = await client.get(BASE, headers=other_tenant.headers)
    assert r.status_code == 200
    assert r.json() == []
    for r in (
        await client.get(f"{BASE}/{job_id}", headers=other_tenant.headers),
        await client.post(f"{BASE}/{job_id}/replay", headers=other_tenant.headers),
        await client.delete(f"{BASE}/{job_id}", headers=other_tenant.headers),
    ):
        body = assert_problem(r, 404)
        assert "secret" not in r.text
        assert body["code"] == "not_found"

    row = await job_row(runtime.db, job_id)
    assert (row.status, row.attempts) == ("dead", 5)
    r = await client.get(f"{BASE}/{job_id}", headers=tenant.headers)
    assert r.status_code == 200


async def test_system_jobs_are_not_visible_to_tenants(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    job_id = await bury(runtime.db, None, "system.cleanup")
    assert (await client.get(BASE, headers=tenant.headers)).json() == []
    assert_problem(await client.get(f"{BASE}/{job_id}", headers=tenant.headers), 404)


async def test_viewer_can_read_but_not_replay_or_discard(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    job_id = await bury(runtime.db, tenant.id)
    viewer = bearer(await api_key(runtime.db, tenant.id, Role.VIEWER))

    r = await client.get(BASE, headers=viewer)
    assert [j["id"] for j in r.json()] == [job_id]
    assert (await client.get(f"{BASE}/{job_id}", headers=viewer)).status_code == 200
    for r in (
        await client.post(f"{BASE}/{job_id}/replay", headers=viewer),
        await client.delete(f"{BASE}/{job_id}", headers=viewer),
    ):
        assert assert_problem(r, 403)["code"] == "forbidden"

    row = await job_row(runtime.db, job_id)
    assert (row.status, row.attempts) == ("dead", 5)


async def test_developer_can_discard(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    job_id = await bury(runtime.db, tenant.id)
    developer = bearer(await api_key(runtime.db, tenant.id, Role.DEVELOPER))
    assert (await client.delete(f"{BASE}/{job_id}", headers=developer)).status_code == 204


async def test_agent_cannot_read_dead_letters(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    job_id = await bury(runtime.db, tenant.id)
    agent = bearer(await api_key(runtime.db, tenant.id, Role.AGENT))
    assert_problem(await client.get(BASE, headers=agent), 403)
    assert_problem(await client.get(f"{BASE}/{job_id}", headers=agent), 403)


async def test_anonymous_requests_are_unauthorized(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    job_id = await bury(runtime.db, tenant.id)
    assert_problem(await client.get(BASE), 401)
    assert_problem(await client.post(f"{BASE}/{job_id}/replay"), 401)
    assert_problem(await client.delete(f"{BASE}/{job_id}", headers=bearer("fd_nope_nope")), 401)
    assert (await job_row(runtime.db, job_id)).status == "dead"
