"""The ``reminder.due`` job: post the reminder in its conversation and deliver it.

The reminder goes out as a bot message on the customer's own channel, as the pipeline sends a
reply: in the web chat it is ``sent`` at once and the live stream wakes; on a provider's channel
it is ``queued`` with its send job in the same commit. It is in the customer's language when
they write in another one than the tenant's and a model is configured (translated before the
write transaction). A job that is no longer the reminder's
(it was moved, snoozed or cancelled since) does nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.channels.models import Channel
from frontdesk.channels.outbound import send_bot_message
from frontdesk.conversations.language import in_customer_language
from frontdesk.conversations.models import Conversation
from frontdesk.core.clock import utcnow
from frontdesk.core.db import after_commit
from frontdesk.core.logging import get_logger
from frontdesk.core.outbox import publish
from frontdesk.queue.base import ClaimedJob, Deferred
from frontdesk.reminders import service
from frontdesk.reminders.models import FAILED, SCHEDULED, SENT, Reminder
from frontdesk.runtime import Runtime

PREFIX = "⏰ Reminder: "
log = get_logger("frontdesk.reminders")


def text_of(reminder: Reminder) -> str:
    """The message the customer receives."""
    return PREFIX + reminder.text


def _current(reminder: Reminder | None, job: ClaimedJob) -> bool:
    """Whether ``job`` is the due job of a reminder still waiting for it."""
    return (
        reminder is not None
        and reminder.tenant_id == job.tenant_id
        and reminder.status == SCHEDULED
        and reminder.job_id == job.id
    )


async def run_due(runtime: Runtime, session: AsyncSession, job: ClaimedJob) -> None:
    """Handle a ``reminder.due`` job."""
    reminder_id = str(job.payload.get("reminder_id"))
    # Caches that a miss fills through a connection of their own are filled before this
    # session holds one (the translation into the customer's language reads both).
    await runtime.tenants.by_id(str(job.tenant_id))
    await runtime.llm.tenant_config(str(job.tenant_id))
    reminder = await session.get(Reminder, reminder_id)
    if not _current(reminder, job):
        log.info("reminder_job_stale", reminder_id=reminder_id, job_id=job.id)
        return
    assert reminder is not None
    wait = (reminder.due_at - utcnow()).total_seconds()
    if wait > 0:
        raise Deferred("the reminder is not due yet", wait)
    # Reads that may need a connection of their own come before the first write.
    conversation = await session.get(Conversation, reminder.conversation_id)
    assert conversation is not None  # the reminder's row goes with its conversation's
    channel_type = await runtime.channel_type(session, reminder.tenant_id, conversation.channel_id)
    enabled = await session.scalar(
        select(Channel.enabled).where(Channel.id == conversation.channel_id)
    )
    text, translation = await in_customer_language(runtime, conversation, text_of(reminder))

    await runtime.db.begin_write(session)
    reminder = await service.get(session, reminder.tenant_id, reminder_id, lock=True)
    if not _current(reminder, job):  # moved or cancelled while we read
        return
    if not enabled:
        await _failed(session, reminder, "the conversation's channel is disabled")
        return
    meta = {"reminder_id": reminder.id, **({"translation": translation} if translation else {})}
    await _deliver(runtime, session, reminder, conversation, channel_type, text, meta)
    await session.flush()
    after_commit(session, runtime.outbox.wake.set)


async def _deliver(
    runtime: Runtime,
    session: AsyncSession,
    reminder: Reminder,
    conversation: Conversation,
    channel_type: str,
    text: str,
    meta: dict[str, Any],
) -> None:
    """Send the reminder's bot message on the conversation's channel and mark it sent."""
    message = await send_bot_message(
        runtime, session, conversation, channel_type, text, handler="reminder", meta=meta
    )
    reminder.status = SENT
    reminder.sent_at = utcnow()
    reminder.message_id = message.id
    reminder.error = None
    await publish(
        session,
        reminder.tenant_id,
        "reminder.sent",
        {**service.summary(reminder), "message_id": message.id, "channel": channel_type},
    )


async def _failed(session: AsyncSession, reminder: Reminder, reason: str) -> None:
    reminder.status = FAILED
    reminder.error = reason
    reminder.job_id = None
    await publish(
        session,
        reminder.tenant_id,
        "reminder.failed",
        {**service.summary(reminder), "error": reason},
    )
    log.warning("reminder_failed", reminder_id=reminder.id, reason=reason)
