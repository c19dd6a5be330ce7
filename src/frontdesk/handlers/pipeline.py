"""The processing of one inbound message: record it, choose a handler, record the reply.

Everything here runs inside the job's transaction, so the inbound message, the reply, the events
and the job's completion commit together or not at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.channels.outbound import queue_send
from frontdesk.channels.registry import in_app
from frontdesk.contacts.service import contact_for_identity
from frontdesk.conversations import ownership
from frontdesk.conversations import service as conversations
from frontdesk.conversations.models import Conversation
from frontdesk.core.db import after_commit
from frontdesk.core.outbox import publish
from frontdesk.handlers import faq, handoff
from frontdesk.handlers.base import Reply
from frontdesk.intake.models import RawMessage
from frontdesk.intake.webchat import thread_key
from frontdesk.knowledge.faq_index import FaqMatch
from frontdesk.knowledge.service import log_query
from frontdesk.queue.base import ClaimedJob, PermanentJobError
from frontdesk.runtime import Runtime
from frontdesk.tenants.settings import TenantPreferences, tenant_preferences
from frontdesk.understanding.service import understand

UNSUPPORTED_TEXT = "Sorry, I can't read this kind of message yet. Could you write it as text?"
CONTENT_FIELDS = ("kind", "media", "attachments", "location", "contacts", "choice_id", "reaction")


async def process_message(runtime: Runtime, session: AsyncSession, job: ClaimedJob) -> None:
    """Handle a ``message.process`` job."""
    # Every lookup that may need its own connection happens before the first write: inside
    # the write transaction a second connection could wait on the lock this one holds.
    tenant = await runtime.tenants.by_id(str(job.tenant_id))
    prefs = tenant_preferences(tenant)
    raw = await session.get(RawMessage, job.payload.get("raw_message_id"))
    if raw is None or raw.tenant_id != job.tenant_id:
        raise PermanentJobError("raw message not found")
    channel_type = await runtime.channel_type(session, raw.tenant_id, raw.channel_id)
    payload = raw.payload
    text = str(payload.get("text", ""))
    thread_id = str(payload["thread_id"])
    kind = str(payload.get("kind", "text"))
    match, analysis = None, None
    if kind not in ("unknown", "reaction"):
        match = await runtime.faq.match(session, raw.tenant_id, text, prefs.faq_threshold)
        analysis = await _understand(runtime, session, raw.tenant_id, prefs, text)

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
            runtime,
            session,
            raw,
            channel_type,
            conversation,
            text,
            match,
            prefs.faq_threshold,
            prefs.fallback_text,
            analysis,
        )
    await session.flush()
    key = thread_key(raw.channel_id, thread_id)
    after_commit(session, lambda: runtime.hub.notify(key))
    after_commit(session, runtime.outbox.wake.set)


async def _understand(
    runtime: Runtime, session: AsyncSession, tenant_id: str, prefs: TenantPreferences, text: str
) -> dict[str, Any] | None:
    """The analysis kept on the message (languages detected when the tenant serves several)."""
    if not text.strip():
        return None
    result = await understand(
        runtime, session, tenant_id, prefs, text, detect_language=bool(prefs.languages)
    )
    return result.as_dict()


async def _record_and_reply(
    runtime: Runtime,
    session: AsyncSession,
    raw: RawMessage,
    channel_type: str,
    conversation: Conversation,
    text: str,
    match: FaqMatch | None,
    threshold: float,
    fallback: str,
    analysis: dict[str, Any] | None,
) -> None:
    content = {k: raw.payload[k] for k in CONTENT_FIELDS if raw.payload.get(k)}
    inbound = conversations.add_message(
        session,
        conversation,
        message_id=raw.id,
        direction="in",
        sender="customer",
        text=text,
        meta={"analysis": analysis} if analysis else None,
        content=content if content != {"kind": "text"} else None,  # more than plain text
    )
    await publish(
        session,
        raw.tenant_id,
        "message.received",
        {
            "message_id": inbound.id,
            "conversation_id": conversation.id,
            "channel": channel_type,
            "text": text[:2000],
            "intent": ((analysis or {}).get("intent") or {}).get("name"),
            "sentiment": (analysis or {}).get("sentiment", {}).get("label"),
        },
    )
    if conversation.status == ownership.CLOSED:
        await ownership.set_status(session, conversation, ownership.BOT, None)
    if conversation.status == ownership.HUMAN:
        return  # a member owns the conversation: the message waits for them, the bot is silent

    kind = content.get("kind", "text")
    reply: Reply | None = None
    if kind == "unknown":
        reply = Reply(UNSUPPORTED_TEXT, "unsupported", {"kind": kind})
    elif kind != "reaction":  # a reaction is feedback, not a question
        reply = await faq.answer(session, match, threshold)
        log_query(session, raw.tenant_id, text, match, answered=reply is not None)
        if reply is None:
            reply = await handoff.hand_over(session, conversation, fallback, "no_faq_match")
    if reply is not None:
        delivered_in_app = in_app(channel_type)
        outbound = conversations.add_message(
            session,
            conversation,
            direction="out",
            sender="bot",
            text=reply.text,
            meta={"handler": reply.handler, **reply.meta},
            reply_to_id=inbound.id,
            status="sent" if delivered_in_app else "queued",
        )
        if not delivered_in_app:  # the channel's provider delivers it: a send job, same commit
            await queue_send(runtime, session, raw.tenant_id, conversation.id, outbound.id)
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
