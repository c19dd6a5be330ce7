"""Messages in the customer's language, when the bot or a member wrote them in the tenant's.

The pipeline remembers the customer's language in the conversation's context (the last one
detected with confidence). When it is not the tenant's working language and a model is
configured, what the bot or a member says is translated into it; the text as written stays in
the message's ``meta.translation`` (``{original, from, to}``). Without a translation (no model,
a failure) the text goes out as written, and its meta says so by having none.

Translating is an LLM call, which must not run inside a write transaction (on SQLite it would
hold the database's write lock for seconds). Callers that have no read phase of their own (the
pipeline's replies, task notices) queue a ``reply.translate`` job in their transaction, which
translates and then sends in its own; the others (a member's reply, a reminder) translate
before their transaction opens.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.channels.outbound import send_bot_message
from frontdesk.conversations import service
from frontdesk.conversations.context import ConversationContext
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.ownership import HUMAN
from frontdesk.core.db import after_commit
from frontdesk.core.logging import get_logger
from frontdesk.queue.base import ClaimedJob, NewJob, PermanentJobError
from frontdesk.runtime import Runtime
from frontdesk.tenants.settings import tenant_preferences
from frontdesk.understanding.transforms.translate import translate

TRANSLATE_REPLY = "reply.translate"
log = get_logger("frontdesk.conversations.language")


async def languages(runtime: Runtime, conversation: Conversation) -> tuple[str, str] | None:
    """(the tenant's working language, the customer's) when they differ, else ``None``."""
    context = ConversationContext.load(conversation.context, conversation.context_expires_at)
    if context.language is None:
        return None
    working = tenant_preferences(await runtime.tenants.by_id(conversation.tenant_id)).language
    return None if context.language == working else (working, context.language)


async def in_customer_language(
    runtime: Runtime, conversation: Conversation, text: str
) -> tuple[str, dict[str, Any] | None]:
    """``text`` in the customer's language, and the ``translation`` meta (``None``: as written)."""
    pair = await languages(runtime, conversation)
    if pair is None or not text.strip():
        return text, None
    translated = await translate(runtime, conversation.tenant_id, text, *pair)
    if translated is None:
        return text, None
    return translated, {"original": text, "from": pair[0], "to": pair[1]}


async def for_customer(
    runtime: Runtime, tenant_id: str, conversation_id: str, member_id: str, text: str
) -> tuple[str, dict[str, Any] | None]:
    """A member's reply in the customer's language (see :func:`in_customer_language`).

    Only for the member who owns the conversation: anyone else's reply is refused anyway.
    """
    async with runtime.db.tenant_session(tenant_id) as session:
        conversation = await service.get_conversation(session, tenant_id, conversation_id)
    if conversation.status != HUMAN or conversation.assignee_id != member_id:
        return text, None
    return await in_customer_language(runtime, conversation, text)


async def send(
    runtime: Runtime,
    session: AsyncSession,
    conversation: Conversation,
    channel_type: str,
    text: str,
    *,
    handler: str,
    meta: dict[str, Any] | None = None,
    reply_to_id: str | None = None,
    translate_to: tuple[str, str] | None = None,
    ordering_key: str | None = None,
    notify: bool = True,
    content: dict[str, Any] | None = None,
    message_id: str | None = None,
) -> None:
    """Send a bot message in the caller's transaction, translated first with ``translate_to``.

    ``translate_to`` is (the language ``text`` is in, the customer's): a ``reply.translate``
    job is queued instead, which translates and then sends; ``ordering_key`` (the answered
    message's) keeps replies in order and the conversation's next message behind them.
    Without it the message is sent as :func:`send_bot_message` sends it. ``message_id``
    names the message either way (a workflow reports it before the translation is done).
    """
    if translate_to is None:
        await send_bot_message(
            runtime, session, conversation, channel_type, text,
            handler=handler, meta=meta, reply_to_id=reply_to_id, notify=notify,
            content=content, message_id=message_id,
        )  # fmt: skip
        return
    payload = {
        "conversation_id": conversation.id,
        "channel": channel_type,
        "text": text,
        "handler": handler,
        "meta": meta or {},
        "reply_to_id": reply_to_id,
        "from": translate_to[0],
        "to": translate_to[1],
        "content": content,
        "message_id": message_id,
    }
    job = NewJob(
        kind=TRANSLATE_REPLY,
        tenant_id=conversation.tenant_id,
        ordering_key=ordering_key,
        payload=payload,
        priority=10,  # as high as the message it answers
    )
    await runtime.queue.enqueue(session, job)
    after_commit(session, runtime.wake_workers)


async def send_translated(runtime: Runtime, session: AsyncSession, job: ClaimedJob) -> None:
    """Run a ``reply.translate`` job: translate the message, then send it on its channel."""
    payload = job.payload
    text, source, target = str(payload["text"]), str(payload["from"]), str(payload["to"])
    translated = await translate(runtime, str(job.tenant_id), text, source, target)
    meta: dict[str, Any] = dict(payload.get("meta") or {})
    if translated is None:
        log.info("sent_untranslated", to=target, handler=payload["handler"])
    else:
        meta["translation"] = {"original": text, "from": source, "to": target}
    await runtime.db.begin_write(session)
    conversation = await session.get(Conversation, payload["conversation_id"])
    if conversation is None or conversation.tenant_id != job.tenant_id:
        raise PermanentJobError("conversation not found")
    await send_bot_message(
        runtime,
        session,
        conversation,
        str(payload["channel"]),
        translated or text,
        handler=str(payload["handler"]),
        meta=meta,
        reply_to_id=payload.get("reply_to_id"),
        content=payload.get("content"),
        message_id=payload.get("message_id"),
    )
