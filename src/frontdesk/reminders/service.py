"""Reminders: create, list, move, snooze and cancel them; each carries its one due job.

A reminder is scheduled by a ``reminder.due`` job enqueued in the transaction that writes it,
with ``run_at`` at its due time. Moving or snoozing it enqueues a new job and records its id on
the reminder; an earlier job still in the queue then finds it is not the reminder's job and does
nothing (see :mod:`frontdesk.reminders.due`), so a reminder never fires twice.

The job has no ordering key on purpose: the queue holds every later job of a key behind its
earliest one, so a job due tomorrow under the conversation's key would stall the conversation
until tomorrow.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation
from frontdesk.core.clock import utcnow
from frontdesk.core.errors import Conflict, NotFound, ValidationFailed
from frontdesk.core.ids import new_id
from frontdesk.core.outbox import publish
from frontdesk.queue.base import NewJob, Queue
from frontdesk.reminders.models import CANCELLED, SCHEDULED, SENT, Reminder

DUE = "reminder.due"
MAX_AHEAD = timedelta(days=365)
MAX_TEXT = 500
MAX_SNOOZE_MINUTES = 7 * 24 * 60
CUSTOMER = "customer"


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or :class:`ValidationFailed`."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValidationFailed(f"Unknown time zone {name!r}") from e


def in_zone(when: datetime, timezone: str) -> datetime:
    """``when`` as an aware UTC time; a naive ``when`` is read in ``timezone``."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone(timezone))
    return when.astimezone(ZoneInfo("UTC"))


def check_due(due_at: datetime, now: datetime | None = None) -> None:
    """Refuse a due time in the past or more than a year ahead."""
    now = now or utcnow()
    if due_at <= now:
        raise ValidationFailed("The reminder's time has already passed")
    if due_at > now + MAX_AHEAD:
        raise ValidationFailed("A reminder can be set at most a year ahead")


def check_text(text: str) -> str:
    """The reminder's text, trimmed; refused when empty or longer than 500 characters."""
    text = text.strip()
    if not text:
        raise ValidationFailed("The reminder needs a text")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"A reminder's text has at most {MAX_TEXT} characters")
    return text


def describe(due_at: datetime, timezone: str) -> str:
    """The due time as a customer reads it: ``Tue 24 Nov at 09:00`` in the reminder's zone."""
    local = due_at.astimezone(zone(timezone))
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"


async def create(
    session: AsyncSession,
    queue: Queue,
    conversation: Conversation,
    *,
    text: str,
    due_at: datetime,
    timezone: str,
    created_by: str,
    now: datetime | None = None,
) -> Reminder:
    """Schedule a reminder for ``conversation``'s customer, with its due job."""
    zone(timezone)
    check_due(due_at, now)
    reminder = Reminder(
        id=new_id(),
        tenant_id=conversation.tenant_id,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        text=check_text(text),
        due_at=due_at,
        timezone=timezone,
        status=SCHEDULED,
        snoozed_count=0,
        created_by=created_by[:64],
    )
    session.add(reminder)
    await _schedule(session, queue, reminder)
    await publish(session, reminder.tenant_id, "reminder.created", summary(reminder))
    return reminder


async def get(
    session: AsyncSession, tenant_id: str, reminder_id: str, *, lock: bool = False
) -> Reminder:
    """One of the tenant's reminders (row-locked on PostgreSQL with ``lock``), or NotFound."""
    stmt = select(Reminder).where(Reminder.tenant_id == tenant_id, Reminder.id == reminder_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    reminder = await session.scalar(stmt)
    if reminder is None:
        raise NotFound("No such reminder")
    return reminder


async def list_reminders(
    session: AsyncSession,
    tenant_id: str,
    *,
    status: str | None = None,
    conversation_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Reminder]:
    """The tenant's reminders, soonest due first."""
    stmt = select(Reminder).where(Reminder.tenant_id == tenant_id)
    if status:
        stmt = stmt.where(Reminder.status == status)
    if conversation_id:
        stmt = stmt.where(Reminder.conversation_id == conversation_id)
    stmt = stmt.order_by(Reminder.due_at, Reminder.id).limit(limit).offset(offset)
    return list((await session.scalars(stmt)).all())


async def update(
    session: AsyncSession,
    queue: Queue,
    reminder: Reminder,
    *,
    text: str | None = None,
    due_at: datetime | None = None,
    now: datetime | None = None,
) -> Reminder:
    """Change a scheduled reminder's text or time (a new time gets a new due job)."""
    _must_be(reminder, SCHEDULED)
    if text is not None:
        reminder.text = check_text(text)
    if due_at is not None and due_at != reminder.due_at:
        check_due(due_at, now)
        reminder.due_at = due_at
        await _schedule(session, queue, reminder)
    return reminder


async def cancel(session: AsyncSession, reminder: Reminder) -> Reminder:
    """Cancel a scheduled reminder: its due job will find nothing to do."""
    _must_be(reminder, SCHEDULED)
    reminder.status = CANCELLED
    reminder.job_id = None
    await publish(session, reminder.tenant_id, "reminder.cancelled", summary(reminder))
    return reminder


async def snooze(
    session: AsyncSession,
    queue: Queue,
    reminder: Reminder,
    minutes: int,
    now: datetime | None = None,
) -> Reminder:
    """Remind again ``minutes`` later: after the due time, or from now once it was sent."""
    _must_be(reminder, SCHEDULED, SENT)
    if not 1 <= minutes <= MAX_SNOOZE_MINUTES:
        raise ValidationFailed(f"Snooze between 1 and {MAX_SNOOZE_MINUTES} minutes")
    now = now or utcnow()
    due_at = max(reminder.due_at, now) + timedelta(minutes=minutes)
    check_due(due_at, now)
    reminder.due_at = due_at
    reminder.status = SCHEDULED
    reminder.snoozed_count += 1
    await _schedule(session, queue, reminder)
    await publish(session, reminder.tenant_id, "reminder.snoozed", summary(reminder))
    return reminder


async def scheduled_in(
    session: AsyncSession, tenant_id: str, conversation_id: str
) -> list[Reminder]:
    """A conversation's scheduled reminders, soonest first."""
    return await list_reminders(
        session, tenant_id, status=SCHEDULED, conversation_id=conversation_id
    )


async def last_sent_in(
    session: AsyncSession, tenant_id: str, conversation_id: str, since: datetime
) -> Reminder | None:
    """The conversation's reminder sent most recently, if it was sent after ``since``."""
    return await session.scalar(
        select(Reminder)
        .where(
            Reminder.tenant_id == tenant_id,
            Reminder.conversation_id == conversation_id,
            Reminder.status == SENT,
            Reminder.sent_at >= since,
        )
        .order_by(Reminder.sent_at.desc())
        .limit(1)
    )


def summary(reminder: Reminder) -> dict[str, Any]:
    """The reminder as its domain events carry it."""
    return {
        "reminder_id": reminder.id,
        "conversation_id": reminder.conversation_id,
        "contact_id": reminder.contact_id,
        "text": reminder.text,
        "due_at": reminder.due_at.isoformat(),
        "status": reminder.status,
    }


async def _schedule(session: AsyncSession, queue: Queue, reminder: Reminder) -> None:
    """Enqueue the reminder's due job; the job it had before (if any) becomes stale."""
    reminder.job_id = await queue.enqueue(
        session,
        NewJob(
            kind=DUE,
            tenant_id=reminder.tenant_id,
            payload={"reminder_id": reminder.id},
            run_at=reminder.due_at,
            priority=5,
        ),
    )


def _must_be(reminder: Reminder, *statuses: str) -> None:
    if reminder.status not in statuses:
        raise Conflict(f"The reminder is {reminder.status}")
