"""The ``reminder.due`` job: the reminder appears in the web chat once, stale jobs do nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from frontdesk.core.outbox import OutboxEvent
from frontdesk.queue.base import ClaimedJob, Deferred
from frontdesk.reminders.due import run_due
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import wait_for_messages
from tests.reminders.helpers import chat, create, job_ids, run_now

REMINDER = "⏰ Reminder: call the bank"


async def reminders_in(client: httpx.AsyncClient, sid: str, headers: dict[str, str]) -> list[str]:
    r = await client.get(f"/api/v1/webchat/sessions/{sid}/messages", headers=headers)
    return [m["text"] for m in r.json() if m["text"].startswith("⏰")]


async def events(runtime: Runtime, type_: str) -> list[OutboxEvent]:
    async with runtime.db.system_session() as session:
        return list(await session.scalars(select(OutboxEvent).where(OutboxEvent.type == type_)))


async def rerun(runtime: Runtime, tenant_id: str, job_id: str, reminder_id: str) -> None:
    """Run the job's handler again, as a redelivered job would."""
    job = ClaimedJob(
        job_id, "reminder.due", {"reminder_id": reminder_id}, tenant_id, None, 2, 5, "t", None
    )
    async with runtime.db.transaction(runtime.db.tenant_session(tenant_id), write=False) as s:
        await run_due(runtime, s, job)


async def test_due_reminder_appears_in_the_web_chat_once(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    sid, headers, conversation_id = await chat(client, tenant)
    reminder = await create(client, tenant, conversation_id)
    [job_id] = await job_ids(runtime, reminder["id"])

    await run_now(runtime, job_id, due=reminder["id"])
    messages = await wait_for_messages(client, sid, headers, 3)
    last = messages[-1]
    assert last["text"] == REMINDER
    assert last["sender"] == "bot" and last["status"] == "sent"
    assert last["meta"] == {"handler": "reminder"}  # the customer's view
    r = await client.get(f"/api/v1/conversations/{conversation_id}", headers=tenant.headers)
    assert r.json()["messages"][-1]["meta"]["reminder_id"] == reminder["id"]

    r = await client.get(f"/api/v1/reminders/{reminder['id']}", headers=tenant.headers)
    sent = r.json()
    assert sent["status"] == "sent" and sent["sent_at"] and sent["message_id"] == last["id"]
    [event] = await events(runtime, "reminder.sent")
    assert event.payload["reminder_id"] == reminder["id"]
    assert event.payload["message_id"] == last["id"]
    assert event.tenant_id == tenant.id

    await rerun(runtime, tenant.id, job_id, reminder["id"])  # delivered again: nothing new
    assert await reminders_in(client, sid, headers) == [REMINDER]
    assert len(await events(runtime, "reminder.sent")) == 1


async def test_after_a_snooze_the_old_job_does_nothing(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    sid, headers, conversation_id = await chat(client, tenant)
    reminder = await create(client, tenant, conversation_id)
    path = f"/api/v1/reminders/{reminder['id']}"
    r = await client.post(f"{path}/snooze", headers=tenant.headers, json={"minutes": 10})
    assert r.status_code == 200
    old, new = await job_ids(runtime, reminder["id"])

    await run_now(runtime, old, due=reminder["id"])  # even with the reminder due by now
    assert await reminders_in(client, sid, headers) == []
    assert (await client.get(path, headers=tenant.headers)).json()["status"] == "scheduled"

    await run_now(runtime, new, due=reminder["id"])
    await wait_for_messages(client, sid, headers, 3)
    assert await reminders_in(client, sid, headers) == [REMINDER]

    # Snoozing the sent reminder schedules it once more, from now.
    r = await client.post(f"{path}/snooze", headers=tenant.headers, json={"minutes": 5})
    assert r.status_code == 200
    assert r.json()["status"] == "scheduled" and r.json()["snoozed_count"] == 2
    *_, third = await job_ids(runtime, reminder["id"])
    await rerun(runtime, tenant.id, new, reminder["id"])  # the sent one's job: stale now
    await run_now(runtime, third, due=reminder["id"])
    await wait_for_messages(client, sid, headers, 4)
    assert await reminders_in(client, sid, headers) == [REMINDER, REMINDER]


async def test_moved_or_cancelled_reminders_do_not_fire(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    sid, headers, conversation_id = await chat(client, tenant)
    moved = await create(client, tenant, conversation_id, text="moved")
    cancelled = await create(client, tenant, conversation_id, text="cancelled")
    r = await client.patch(
        f"/api/v1/reminders/{moved['id']}",
        headers=tenant.headers,
        json={"due_at": "2099-01-01T00:00:00Z"},
    )
    assert r.status_code == 422  # more than a year ahead
    r = await client.patch(
        f"/api/v1/reminders/{moved['id']}",
        headers=tenant.headers,
        json={"text": "moved", "due_at": cancelled["due_at"].replace("+00:00", "Z")},
    )
    assert r.status_code == 200
    r = await client.post(f"/api/v1/reminders/{cancelled['id']}/cancel", headers=tenant.headers)
    assert r.status_code == 200

    first_of_moved = (await job_ids(runtime, moved["id"]))[0]
    [job_of_cancelled] = await job_ids(runtime, cancelled["id"])
    await run_now(runtime, first_of_moved, due=moved["id"])
    await run_now(runtime, job_of_cancelled, due=cancelled["id"])
    assert await reminders_in(client, sid, headers) == []
    statuses = {
        x["text"]: x["status"]
        for x in (await client.get("/api/v1/reminders", headers=tenant.headers)).json()
    }
    assert statuses == {"moved": "scheduled", "cancelled": "cancelled"}


async def test_a_job_run_early_waits_for_the_due_time(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    sid, headers, conversation_id = await chat(client, tenant)
    reminder = await create(client, tenant, conversation_id)
    [job_id] = await job_ids(runtime, reminder["id"])
    with pytest.raises(Deferred):  # back to the queue, its attempt given back
        await rerun(runtime, tenant.id, job_id, reminder["id"])
    assert await reminders_in(client, sid, headers) == []
