"""Acceptance: kill -9 the process in the middle of a run; after a restart it completes and the
fake API saw each HTTP action exactly once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontdesk.core.db import Database, create_null_pool_engine
from frontdesk.settings import Settings
from tests.channels.fake_provider import FakeProvider
from tests.factories import make_tenant
from tests.intake.test_crash import server_env
from tests.server import ServerProcess
from tests.workflows.helpers import deploy, graph, setter

pytestmark = pytest.mark.slow


def ten_node_run(api: str) -> dict[str, Any]:
    """start → set → http → fork → (http → set | delay → http) → join → http → end."""

    def call(name: str) -> dict[str, Any]:
        return {"method": "POST", "url": f"{api}/echo/{name}", "body": {"run": "{{ instance.id }}"},
                "retry": {"max_attempts": 3, "backoff_seconds": 0.2}}

    return graph(
        [
            ("start", "start", {}),
            ("prepare", "set", setter("prepared", True)),
            ("first", "http", call("first")),
            ("fork", "fork", {}),
            ("left", "http", call("left")),
            ("left_done", "set", setter("left", True)),
            ("pause", "delay", {"seconds": 3}),
            ("right", "http", call("right")),
            ("join", "join", {"policy": "all"}),
            ("last", "http", call("last")),
            ("end", "end", {"output": {"left": "{{ vars.left }}", "prepared": "{{ vars.prepared }}"}}),
        ],
        [("start", "prepare", None), ("prepare", "first", None), ("first", "fork", None),
         ("fork", "left", None), ("fork", "pause", None), ("left", "left_done", None),
         ("left_done", "join", None), ("pause", "right", None), ("right", "join", None),
         ("join", "last", None), ("last", "end", None)],
    )


async def test_kill_9_mid_run_resumes_without_repeating_a_call(settings: Settings, tmp_path: Path):
    fake = FakeProvider().start()
    db = Database(create_null_pool_engine(settings))
    _, key = await make_tenant(db, "crash")
    await db.dispose()
    env = {**server_env(settings), "FRONTDESK_HTTP_ALLOWED_HOSTS": json.dumps([fake.hostport])}
    server = ServerProcess(env, tmp_path / "server.log")
    server.start()
    headers = {"Authorization": f"Bearer {key}"}
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            wid, _ = await deploy(http, headers, ten_node_run(fake.url))
            r = await http.post(f"/api/v1/workflows/{wid}/runs", headers=headers, json={})
            run = r.json()["id"]
            for _ in range(200):  # the left branch is done; the right one sleeps in its delay
                body = (await http.get(f"/api/v1/workflow-instances/{run}", headers=headers)).json()
                if any(s["node_id"] == "left_done" for s in body["steps"]):
                    break
                await asyncio.sleep(0.05)
            assert {r.path for r in fake.requests} == {"/echo/first", "/echo/left"}
        server.kill()
        server.start()
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            for _ in range(300):
                body = (await http.get(f"/api/v1/workflow-instances/{run}", headers=headers)).json()
                if body["status"] in ("completed", "failed"):
                    break
                await asyncio.sleep(0.05)
        assert body["status"] == "completed", body
        assert body["output"] == {"left": True, "prepared": True}
        calls = Counter(r.path for r in fake.requests)
        assert calls == {"/echo/first": 1, "/echo/left": 1, "/echo/right": 1, "/echo/last": 1}
        keys = [r.headers["idempotency-key"] for r in fake.requests]
        assert len(set(keys)) == 4, "each side effect has its own idempotency key"
        assert {s["node_id"] for s in body["steps"]} >= {"start", "join", "end", "pause"}
    finally:
        server.stop()
        fake.stop()
