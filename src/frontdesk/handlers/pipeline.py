"""The processing of one inbound message: record it, choose a handler, record the reply.

Everything here runs inside the job's transaction, so the inbound message, the reply, the events
and the job's completion commit together or not at all.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.service import contact_for_identity
from frontdesk.conversations import ownership
from frontdesk.conversations import service as conversations
from frontdesk.conversations.models import Conversation
from frontdesk.core.db import after_commit
from frontdesk.core.outbox import publish
from frontdesk.handlers import faq, handoff
from frontdesk.intake.models import RawMessage
from frontdesk.intake.webchat import thread_key
from frontdesk.knowledge.faq_index import FaqMatch
from frontdesk.queue.base import ClaimedJob, PermanentJobError
from frontdesk.runtime import Runtime
from frontdesk.tenants.settings import tenant_preferences


async def process_message(runtime: Runtime, session: AsyncSession, job: ClaimedJob) -> None:
    """Handle a ``message.process`` job."""
    # Every lookup that may need its own connection happens before the first write: inside
    # the write transaction a second connection could wait on the lock this one holds.
    tenant = await runtime.tenants.by_id(str(job.tenant_id))
    prefs = tenant_preferences(tenant)
    raw = await session.get(RawMessage, job.payload.get("raw_message_id"))
    if raw is None or raw.tenant_id != job.tenant_id:
        raise PermanentJobError("raw message not found")
    channel_type = await runtime.channel_type(session, raw.channel_id)
    payload = raw.payload
    text = str(payload.get("text", ""))
    thread_id = str(payload["thread_id"])
    match = await runtime.faq.match(session, raw.tenant_id, text)  # in memory once indexed

    await runtime.db.begin_write(session)
    with session.no_autoflush:  # one flush at the end, not one per query
        conversation = await conversations.find_thread(
            session, raw.tenant_id, raw.channel_id, thread_id
        )
        if conversation is None:
            contact = await contact_for_identity(
                session, raw.tenant_id, channel_type, str(payload["sender_id"])
            )
            conversation = await conversations.start_conversation(
                session, raw.tenant_id, raw.channel_id, thread_id, contact.id
            )
        await _record_and_reply(
            session,
            raw,
            channel_type,
            conversation,
            text,
            match,
            prefs.faq_threshold,
            prefs.fallback_text,
        )
    await session.flush()
    key = thread_key(raw.channel_id, thread_id)
    after_commit(session, lambda: runtime.hub.notify(key))
    after_commit(session, runtime.outbox.wake.set)


async def _record_and_reply(
    session: AsyncSession,
    raw: RawMessage,
    channel_type: str,
    conversation: Conversation,
    text: str,
    match: FaqMatch | None,
    threshold: float,
    fallback: str,
) -> None:
    inbound = conversations.add_message(
        session, conversation, message_id=raw.id, direction="in", sender="customer", text=text
    )
    await publish(
        session,
        raw.tenant_id,
        "message.received",
        {"message_id": inbound.id, "conversation_id": conversation.id, "channel": channel_type},
    )
    if conversation.status == ownership.CLOSED:
        await ownership.set_status(session, conversation, ownership.BOT, None)
    if conversation.status == ownership.HUMAN:
        return  # a member owns the conversation: the message waits for them, the bot is silent

    reply = await faq.answer(session, match, threshold)
    if reply is None:
        reply = await handoff.hand_over(session, conversation, fallback, "no_faq_match")
    if reply is not None:
        outbound = conversations.add_message(
            session,
            conversation,
            direction="out",
            sender="bot",
            text=reply.text,
            meta={"handler": reply.handler, **reply.meta},
            reply_to_id=inbound.id,
            status="sent",
        )
        await publish(
            session,
            raw.tenant_id,
            "message.sent",
            {
                "message_id": outbound.id,
                "conversation_id": conversation.id,
                "handler": reply.handler,
            },
        )
