"""Builders for the reminder tests: a web chat conversation, and making a reminder due now."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from frontdesk.core.clock import utcnow
from frontdesk.queue.models import Job
from frontdesk.reminders.models import Reminder
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import open_session, wait_for_messages


async def say(client: httpx.AsyncClient, sid: str, headers: dict[str, str], text: str) -> str:
    """Post a customer message to the web chat session; return its id."""
    r = await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": text}
    )
    assert r.status_code == 202, r.text
    return str(r.json()["message_id"])


async def chat(client: httpx.AsyncClient, tenant: TenantCtx) -> tuple[str, dict[str, str], str]:
    """A web chat session with one answered message: ``(session_id, headers, conversation_id)``."""
    sid, headers = await open_session(client, tenant.slug)
    await say(client, sid, headers, "When will my order arrive?")
    await wait_for_messages(client, sid, headers, 2)
    r = await client.get("/api/v1/conversations", headers=tenant.headers)
    return sid, headers, str(r.json()[0]["id"])


def in_hours(hours: float) -> str:
    """An ISO time ``hours`` from now."""
    return (utcnow() + timedelta(hours=hours)).isoformat()


async def create(
    client: httpx.AsyncClient, tenant: TenantCtx, conversation_id: str, **body: Any
) -> dict[str, Any]:
    """Create a reminder through the API (due in an hour unless told)."""
    payload = {"conversation_id": conversation_id, "text": "call the bank", "due_at": in_hours(1)}
    r = await client.post("/api/v1/reminders", headers=tenant.headers, json={**payload, **body})
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def job_ids(runtime: Runtime, reminder_id: str) -> list[str]:
    """The ids of every due job enqueued for the reminder, oldest first."""
    async with runtime.db.system_session() as session:
        rows = await session.scalars(select(Job).where(Job.kind == "reminder.due").order_by(Job.id))
        return [job.id for job in rows if job.payload.get("reminder_id") == reminder_id]


async def run_now(runtime: Runtime, job_id: str, *, due: str | None = None) -> None:
    """Let ``job_id`` run now (and, with ``due``, make that reminder due now); wait for it."""
    now = utcnow()
    async with runtime.db.system_tx() as session:
        if due is not None:
            await session.execute(
                update(Reminder).where(Reminder.id == due).values(due_at=now - timedelta(seconds=1))
            )
        await session.execute(update(Job).where(Job.id == job_id).values(run_at=now))
    runtime.wake_workers()
    await wait_job(runtime, job_id)


async def wait_job(runtime: Runtime, job_id: str, timeout: float = 10.0) -> str:
    """Wait until the job is done or dead; return its status."""
    deadline = time.monotonic() + timeout
    while True:
        async with runtime.db.system_session() as session:
            status = await session.scalar(select(Job.status).where(Job.id == job_id))
        if status in ("done", "dead") or time.monotonic() > deadline:
            assert status in ("done", "dead"), status
            return str(status)
        await asyncio.sleep(0.02)
