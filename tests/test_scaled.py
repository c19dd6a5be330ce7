"""The scaled shape: an API-only server and a separate worker process share the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from frontdesk.core.db import Database, create_null_pool_engine
from frontdesk.settings import Settings
from tests.factories import SHIPPING_ANSWER, make_tenant
from tests.intake.test_crash import server_env
from tests.server import ServerProcess, WorkerProcess

pytestmark = pytest.mark.slow


async def test_api_only_server_and_standalone_worker(settings: Settings, tmp_path: Path):
    db = Database(create_null_pool_engine(settings))
    await make_tenant(db, "scaled")
    await db.dispose()
    env = server_env(settings)
    api = ServerProcess(env, tmp_path / "api.log", "--no-workers")
    worker = WorkerProcess({**env, "FRONTDESK_LOG_LEVEL": "INFO"}, tmp_path / "worker.log")
    api.start()
    try:
        async with httpx.AsyncClient(base_url=api.url, timeout=10) as http:
            ready = (await http.get("/readyz")).json()
            assert ready["components"]["workers"]["in_process"] == 0
            body = (await http.post("/api/v1/webchat/scaled/sessions")).json()
            headers = {"Authorization": f"Bearer {body['token']}"}
            url = f"/api/v1/webchat/sessions/{body['session_id']}/messages"
            sent = []
            for _ in range(3):
                r = await http.post(url, headers=headers, json={"text": "How long is shipping?"})
                assert r.status_code == 202
                sent.append(r.json()["message_id"])
            await asyncio.sleep(0.5)
            assert (await http.get(url, headers=headers)).json() == [], "no worker, no reply"

            worker.start()
            for _ in range(300):
                messages = (await http.get(url, headers=headers)).json()
                if len(messages) == 6:
                    break
                await asyncio.sleep(0.1)
            # All three questions arrived before the worker started, so they come first.
            assert [m["id"] for m in messages[:3]] == sent
            assert [m["reply_to_id"] for m in messages[3:]] == sent
            assert {m["text"] for m in messages[3:]} == {SHIPPING_ANSWER}
        assert worker.terminate() == 0, "SIGTERM stops the worker gracefully"
        assert "worker_stopped" in (tmp_path / "worker.log").read_text()
    finally:
        api.stop()
        if worker.proc and worker.proc.poll() is None:
            worker.proc.kill()
