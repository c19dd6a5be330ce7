"""Builders shared by the workflow tests."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

Nodes = list[tuple[str, str, dict[str, Any]]]
Edges = list[tuple[str, str, str | None]]


def graph(nodes: Nodes, edges: Edges, triggers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A definition from compact node and edge lists."""
    return {
        "nodes": [
            {"id": i, "type": t, "position": {"x": 0, "y": 100 * n}, "data": d}
            for n, (i, t, d) in enumerate(nodes)
        ],
        "edges": [
            {"id": f"e{n}", "source": s, "target": t, **({"sourceHandle": h} if h else {})}
            for n, (s, t, h) in enumerate(edges)
        ],
        "triggers": triggers or [{"type": "manual"}],
    }


def setter(name: str, value: Any) -> dict[str, Any]:
    return {"assignments": [{"name": name, "mode": "static", "value": value}]}


async def deploy(
    client: httpx.AsyncClient, headers: dict[str, str], definition: dict[str, Any], name: str = "wf"
) -> tuple[str, str]:
    """Create a workflow, freeze version 1, activate it; return (workflow id, version id)."""
    r = await client.post("/api/v1/workflows", headers=headers, json={"name": name, "definition": definition})
    assert r.status_code == 201, r.text
    workflow_id = r.json()["id"]
    r = await client.post(f"/api/v1/workflows/{workflow_id}/versions", headers=headers, json={"notes": "v1"})
    assert r.status_code == 201, r.text
    version_id = r.json()["id"]
    r = await client.post(
        f"/api/v1/workflows/{workflow_id}/activate", headers=headers, json={"version_id": version_id}
    )
    assert r.status_code == 200, r.text
    return workflow_id, version_id


async def start(client: httpx.AsyncClient, headers: dict[str, str], workflow_id: str, **body: Any) -> str:
    r = await client.post(f"/api/v1/workflows/{workflow_id}/runs", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def wait_for(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    instance_id: str,
    *statuses: str,
    timeout: float = 15.0,
) -> dict[str, Any]:
    """Poll a run until its status is one of ``statuses``."""
    body: dict[str, Any] = {}
    for _ in range(int(timeout / 0.05)):
        body = (await client.get(f"/api/v1/workflow-instances/{instance_id}", headers=headers)).json()
        if body.get("status") in statuses:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"run stayed {body.get('status')}: {body}")
