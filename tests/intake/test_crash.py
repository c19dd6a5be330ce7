"""Kill -9 the server while messages are being posted: nothing acknowledged is lost or doubled."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from frontdesk.conversations.models import Message
from frontdesk.core.db import Database, create_null_pool_engine
from frontdesk.intake.models import RawMessage
from frontdesk.queue.models import UNFINISHED, Job
from frontdesk.settings import Settings
from tests.conftest import TEST_MASTER_KEY
from tests.factories import make_tenant
from tests.server import ServerProcess

pytestmark = pytest.mark.slow

MESSAGES = 500
SESSIONS = 25
QUESTIONS = [
    "When will my order arrive?",
    "What is your return policy?",
    "How long does shipping take?",
    "Can I return an item?",
]


def server_env(settings: Settings) -> dict[str, str]:
    env = {
        "FRONTDESK_DATA_DIR": str(settings.data_dir),
        "FRONTDESK_MASTER_KEY": TEST_MASTER_KEY,
        "FRONTDESK_LOG_LEVEL": "WARNING",
        "FRONTDESK_QUEUE_LEASE_SECONDS": "2",
        "FRONTDESK_QUEUE_POLL_SECONDS": "0.1",
        "FRONTDESK_PUBLIC_RATE_PER_IP": "100000",
        "FRONTDESK_PUBLIC_BURST_PER_IP": "100000",
    }
    if settings.database_url:
        env["FRONTDESK_DATABASE_URL"] = settings.database_url
    return env


async def post_all(
    server: ServerProcess, sessions: list[tuple[str, str]], killed_after: int, acked: list[str]
) -> int:
    """Post MESSAGES messages from 16 clients; kill the server after ``killed_after`` acks,
    restart it, and go on. Return how many posts failed (never acknowledged)."""
    texts = itertools.cycle(QUESTIONS)
    queue: asyncio.Queue[tuple[str, str, str]] = asyncio.Queue()
    for i in range(MESSAGES):
        sid, token = sessions[i % len(sessions)]
        queue.put_nowait((sid, token, next(texts)))
    failed = 0
    down = asyncio.Event()
    up = asyncio.Event()
    up.set()

    async def client() -> None:
        nonlocal failed
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
            while not queue.empty():
                sid, token, text = queue.get_nowait()
                await up.wait()
                try:
                    r = await http.post(
                        f"/api/v1/webchat/sessions/{sid}/messages",
                        json={"text": text},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                except httpx.HTTPError:
                    failed += 1
                    continue
                if r.status_code == 202:
                    acked.append(r.json()["message_id"])
                    if len(acked) == killed_after and not down.is_set():
                        down.set()
                else:
                    failed += 1

    async def killer() -> None:
        await down.wait()
        up.clear()
        server.kill()
        await asyncio.to_thread(server.start)
        up.set()

    kill_task = asyncio.create_task(killer())
    await asyncio.gather(*(client() for _ in range(16)))
    await kill_task
    return failed


async def wait_drained(db: Database, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with db.system_session() as session:
            unfinished = Job.status.in_(UNFINISHED)
            pending = (await session.scalars(select(Job.id).where(unfinished))).all()
        if not pending:
            return
        assert asyncio.get_running_loop().time() < deadline, f"{len(pending)} jobs left"
        await asyncio.sleep(0.2)


async def test_kill_9_loses_nothing_and_answers_once(settings: Settings, tmp_path: Path):
    db = Database(create_null_pool_engine(settings))
    tenant_id, _ = await make_tenant(db, "crash")  # the database may hold other tests' rows
    server = ServerProcess(server_env(settings), tmp_path / "server.log")
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            sessions = []
            for _ in range(SESSIONS):
                body = (await http.post("/api/v1/webchat/crash/sessions")).json()
                sessions.append((body["session_id"], body["token"]))
        acked: list[str] = []
        failed = await post_all(server, sessions, MESSAGES // 3, acked)
        await wait_drained(db)
    finally:
        server.stop()

    async with db.system_session() as session:
        stored = set(
            await session.scalars(select(RawMessage.id).where(RawMessage.tenant_id == tenant_id))
        )
        messages = select(Message).where(Message.tenant_id == tenant_id)
        inbound = [m.id for m in await session.scalars(messages.where(Message.direction == "in"))]
        replies = Counter(
            m.reply_to_id for m in await session.scalars(messages.where(Message.direction == "out"))
        )
        dead = (
            await session.scalars(
                select(Job.id).where(Job.status == "dead", Job.tenant_id == tenant_id)
            )
        ).all()
    await db.dispose()

    assert len(acked) + failed == MESSAGES
    assert len(acked) > MESSAGES // 2, "the restart should have let most posts through"
    assert set(acked) <= stored, "an acknowledged message was lost"
    assert sorted(inbound) == sorted(stored), "every stored message was processed once"
    assert not dead
    assert all(replies[m] == 1 for m in acked), "an acknowledged message was not answered once"
    assert max(replies.values()) == 1, "a message was answered twice"
