"""The run list's filters the console's runs page uses: status, version, start time range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import TenantCtx
from tests.workflows.helpers import deploy, graph, setter, start, wait_for

DONE = graph(
    [("s", "start", {}), ("v", "set", setter("x", 1)), ("e", "end", {})],
    [("s", "v", None), ("v", "e", None)],
)


async def _second_version(client: httpx.AsyncClient, headers: dict[str, str], wid: str) -> str:
    r = await client.post(f"/api/v1/workflows/{wid}/versions", headers=headers, json={})
    assert r.status_code == 201, r.text
    v2 = str(r.json()["id"])
    r = await client.post(
        f"/api/v1/workflows/{wid}/activate", headers=headers, json={"version_id": v2}
    )
    assert r.status_code == 200, r.text
    return v2


async def test_runs_filter_by_version_and_start_time(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    wid, v1 = await deploy(client, tenant.headers, DONE)
    first = await start(client, tenant.headers, wid)
    v2 = await _second_version(client, tenant.headers, wid)
    second = await start(client, tenant.headers, wid)
    for run in (first, second):
        await wait_for(client, tenant.headers, run, "completed")

    async def ids(**query: str) -> list[str]:
        r = await client.get(
            "/api/v1/workflow-instances",
            headers=tenant.headers,
            params={"workflow_id": wid, **query},
        )
        assert r.status_code == 200, r.text
        return [run["id"] for run in r.json()]

    assert await ids(version_id=v1) == [first]
    assert await ids(version_id=v2) == [second]
    assert await ids(version_id=v2, status="failed") == []
    now = datetime.now(UTC)
    hour = timedelta(hours=1)
    assert set(await ids(started_from=(now - hour).isoformat())) == {first, second}
    assert await ids(started_from=(now + hour).isoformat()) == []
    assert await ids(started_to=(now - hour).isoformat()) == []
    assert set(await ids(started_to=(now + hour).isoformat())) == {first, second}


async def test_bad_start_range_is_a_problem(client: httpx.AsyncClient, tenant: TenantCtx) -> None:
    now = datetime.now(UTC)
    r = await client.get(
        "/api/v1/workflow-instances",
        headers=tenant.headers,
        params={
            "started_from": now.isoformat(),
            "started_to": (now - timedelta(days=1)).isoformat(),
        },
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.get(
        "/api/v1/workflow-instances",
        headers=tenant.headers,
        params={"started_from": "2026-01-01T00:00:00"},
    )
    assert r.status_code == 422
