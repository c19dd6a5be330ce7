"""Outbound delivery: replies become ``channel.send`` jobs; receipts become ``channel.status``.

A send job renders the reply for its channel (degrading it to the channel's capabilities, each
step logged), calls the provider through the SSRF-guarded client before its first write, then
records the provider's message id. It sends only a message still ``queued``, so a job retried
after a committed send never sends twice; 429 and 5xx answers are retried after the provider's
``Retry-After``; a refusal, or the last failed attempt, leaves the job in dead letters with the
provider's reason and the message ``failed``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NoReturn

import httpx
from pydantic import ValidationError
from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.channels.canonical import Reply
from frontdesk.channels.degrade import degrade
from frontdesk.channels.directory import DEFAULT_API_URLS, ChannelInfo, CredentialsUnavailable
from frontdesk.channels.files import FileUnavailable, with_links
from frontdesk.channels.models import ChannelDelivery
from frontdesk.channels.protocol import Capabilities, ProviderError, Target
from frontdesk.channels.registry import adapter_for, in_app
from frontdesk.conversations.models import Conversation, Message
from frontdesk.conversations.service import add_message
from frontdesk.core.clock import utcnow
from frontdesk.core.db import after_commit
from frontdesk.core.errors import RateLimited
from frontdesk.core.http import UnsafeURL
from frontdesk.core.logging import get_logger
from frontdesk.core.outbox import publish
from frontdesk.core.ratelimit import Bucket
from frontdesk.intake.models import RawMessage
from frontdesk.intake.webchat import thread_key
from frontdesk.queue.base import ClaimedJob, Deferred, NewJob, PermanentJobError, RetryLater
from frontdesk.runtime import Runtime

SEND = "channel.send"
STATUS = "channel.status"
STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}
log = get_logger("frontdesk.channels.outbound")
# Free-form replies are only delivered this long after the customer's last message.
WINDOWS = {t: timedelta(hours=24) for t in ("whatsapp", "messenger", "instagram")}
HUMAN_AGENT_WINDOW = timedelta(days=7)  # Messenger's and Instagram's HUMAN_AGENT tag
# Provider send limits: (messages/s, burst, per "channel" or per "chat").
PACING: dict[str, list[tuple[float, int, str]]] = {
    # (messages per second, burst, per "chat" or per "channel"); every bucket must allow it.
    # WhatsApp: one message every 6 s to the same customer (Meta lets bursts borrow ahead),
    # and 80 per second per number.
    "whatsapp": [(1 / 6, 10, "chat"), (80.0, 80, "channel")],
    "telegram": [(1.0, 3, "chat")],
    "slack": [(1.0, 3, "chat")],
}


def api_url(runtime: Runtime, type_: str) -> str:
    """The provider API base URL of a channel type (configurable for tests and proxies)."""
    return runtime.settings.channel_api_urls.get(type_, DEFAULT_API_URLS.get(type_, "")).rstrip("/")


def send_job(tenant_id: str, conversation_id: str, message_id: str) -> NewJob:
    """The job that delivers one outbound message (in order within its conversation)."""
    return NewJob(
        kind=SEND,
        tenant_id=tenant_id,
        ordering_key=f"send:{conversation_id}",
        payload={"message_id": message_id, "idempotency_key": message_id},
        priority=10,  # as high as intake processing: a started exchange finishes first
    )


async def queue_send(
    runtime: Runtime, session: AsyncSession, tenant_id: str, conversation_id: str, message_id: str
) -> None:
    """Hand a ``queued`` outbound message to its send job, in the caller's transaction."""
    await runtime.queue.enqueue(session, send_job(tenant_id, conversation_id, message_id))
    after_commit(session, runtime.wake_workers)


async def send_bot_message(
    runtime: Runtime,
    session: AsyncSession,
    conversation: Conversation,
    channel_type: str,
    text: str,
    *,
    handler: str,
    meta: dict[str, Any] | None = None,
    content: dict[str, Any] | None = None,
    reply_to_id: str | None = None,
    notify: bool = True,
    message_id: str | None = None,
) -> Message:
    """Record a bot message and deliver it on the conversation's own channel, in this transaction.

    The web chat shows it at once (``sent``; its live stream is woken after the commit unless
    ``notify`` is off because the caller wakes it anyway); a provider's channel gets a
    ``queued`` message and its send job. ``message.sent`` is published either way.
    """
    delivered_in_app = in_app(channel_type)
    message = add_message(
        session,
        conversation,
        direction="out",
        sender="bot",
        text=text,
        meta={"handler": handler, **(meta or {})},
        content=content,
        reply_to_id=reply_to_id,
        status="sent" if delivered_in_app else "queued",
        message_id=message_id,
    )
    if not delivered_in_app:
        await queue_send(runtime, session, conversation.tenant_id, conversation.id, message.id)
    await publish(
        session,
        conversation.tenant_id,
        "message.sent",
        {"message_id": message.id, "conversation_id": conversation.id, "handler": handler},
    )
    if notify:
        key = thread_key(conversation.channel_id, conversation.external_thread_id)
        after_commit(session, lambda: runtime.hub.notify(key))
    return message


async def send_now(
    runtime: Runtime,
    channel: ChannelInfo,
    reply: Reply,
    thread_id: str,
    recipient_id: str,
    context: dict[str, Any],
) -> tuple[list[str], list[str]]:
    """Render and send ``reply``; return the provider message ids and the degradations."""
    adapter = adapter_for(channel.type)
    reply = await with_links(runtime, channel.tenant_id, reply)
    fitted, steps = degrade(reply, adapter.capabilities)
    if steps:
        log.info("reply_degraded", channel=channel.type, channel_id=channel.id, steps=steps)
    payloads = adapter.render(fitted, Target(thread_id, recipient_id, context))
    client = runtime.channels.client()
    base_url = api_url(runtime, channel.type)
    ids = [
        await adapter.send(client, base_url, channel.credentials, channel.config, payload)
        for payload in payloads
    ]
    return ids, steps


_LAST_INBOUND = (
    select(Message.id)
    .where(Message.conversation_id == bindparam("conversation_id"), Message.direction == "in")
    .order_by(Message.id.desc())
    .limit(1)
)


async def _target(session: AsyncSession, message: Message) -> tuple[Conversation, Target]:
    conversation = await session.get(Conversation, message.conversation_id)
    if conversation is None:
        raise PermanentJobError("conversation not found")
    inbound_id = message.reply_to_id or await session.scalar(
        _LAST_INBOUND, {"conversation_id": conversation.id}
    )
    raw = await session.get(RawMessage, inbound_id) if inbound_id else None
    if raw is None:
        thread = conversation.external_thread_id
        return conversation, Target(thread, thread, {})
    payload = raw.payload
    return conversation, Target(
        str(payload.get("thread_id", conversation.external_thread_id)),
        str(payload.get("sender_id", conversation.external_thread_id)),
        dict(payload.get("context") or {}) if message.reply_to_id == raw.id else {},
    )


async def send_message(runtime: Runtime, session: AsyncSession, job: ClaimedJob) -> None:
    """Handle a ``channel.send`` job."""
    message = await session.get(Message, job.payload.get("message_id"))
    if message is None or message.tenant_id != job.tenant_id:
        raise PermanentJobError("message not found")
    if message.status not in ("queued", "failed"):
        return  # already sent by an earlier attempt: never twice
    conversation, target = await _target(session, message)
    channel = await runtime.channels.get(message.tenant_id, conversation.channel_id, session)
    if not channel.enabled:
        await _fail(runtime, message, "channel is disabled")
        raise PermanentJobError("channel is disabled")
    rich = {k: v for k, v in (message.content or {}).items() if k in Reply.model_fields}
    try:
        reply = Reply.model_validate({**rich, "text": message.text})
    except ValidationError as e:
        await _fail(runtime, message, f"the reply cannot be rendered: {e.errors()[0]['msg']}")
        raise PermanentJobError("the reply cannot be rendered") from e
    reply, refusal = await _within_window(session, channel.type, conversation.id, message, reply)
    if refusal:
        await _fail(runtime, message, refusal)
        raise PermanentJobError(refusal)
    await pace(runtime, channel, target)
    try:
        ids, steps = await send_now(
            runtime, channel, reply, target.thread_id, target.recipient_id, target.context
        )
    except ProviderError as e:
        await _retry_or_give_up(runtime, message, job, e.detail, e.retry_after)
    except UnsafeURL as e:
        await _retry_or_give_up(runtime, message, job, f"{channel.type}: {e.detail}", None)
    except FileUnavailable as e:  # the stored file is gone, or there is no public URL
        await _retry_or_give_up(runtime, message, job, e.detail, None)
    except CredentialsUnavailable as e:  # a vault credential revoked: retried, then dead letter
        await _retry_or_give_up(runtime, message, job, e.detail, 0.0)
    except httpx.TimeoutException as e:
        reason = f"{channel.type} did not answer within {runtime.settings.http_timeout_seconds} s"
        await _retry_or_give_up(runtime, message, job, reason, 0.0, e)
    except httpx.HTTPError as e:
        await _retry_or_give_up(runtime, message, job, f"{channel.type} unreachable: {e}", 0.0, e)
    await runtime.db.begin_write(session, inline=True)
    message.status = "sent"
    message.meta = {**message.meta, "provider_message_ids": ids, "degradations": steps}
    for provider_id in filter(None, ids):
        session.add(
            ChannelDelivery(
                tenant_id=message.tenant_id,
                channel_id=channel.id,
                provider_message_id=provider_id[:200],
                message_id=message.id,
            )
        )
    runtime.metrics.messages.labels(channel.type, "out").inc()


async def _within_window(
    session: AsyncSession, type_: str, conversation_id: str, message: Message, reply: Reply
) -> tuple[Reply, str | None]:
    """``reply`` as it may go, or why it may not: the provider would not deliver it.

    An approved template goes at any time; so does a tagged Messenger update, and a
    ``HUMAN_AGENT`` reply up to 7 days on. An agent's reply past 24 hours gets that tag itself.
    """
    window = WINDOWS.get(type_)
    caps = adapter_for(type_).capabilities
    if window is None or (reply.template is not None and caps.templates):
        return reply, None
    last_in = await session.scalar(
        select(func.max(Message.created_at)).where(
            Message.conversation_id == conversation_id, Message.direction == "in"
        )
    )
    age = utcnow() - last_in if last_in is not None else None
    late = age is None or age > window
    if late and reply.tag is None and message.sender == "agent" and "HUMAN_AGENT" in caps.tags:
        reply = reply.model_copy(update={"tag": "HUMAN_AGENT"})
    if reply.tag in caps.tags:
        window = HUMAN_AGENT_WINDOW if reply.tag == "HUMAN_AGENT" else None
    if window is None or (age is not None and age <= window):
        return reply, None
    hours = int(window / timedelta(hours=1))
    span = f"{hours}-hour" if hours < 48 else f"{window.days}-day"
    return reply, (
        f"outside {type_}'s {span} window after the customer's last message:"
        f" it would not be delivered ({_way_past(caps)})"
    )


def _way_past(caps: Capabilities) -> str:
    """How a message past the window could go on a channel with these capabilities."""
    if caps.templates:
        return "send an approved template instead"
    updates = sorted(caps.tags - {"HUMAN_AGENT"})
    return "a person's answer goes up to 7 days with the HUMAN_AGENT tag" + (
        f"; updates take {', '.join(updates)}" if updates else ""
    )


async def pace(runtime: Runtime, channel: ChannelInfo, target: Target) -> None:
    """Hold a send back when it would exceed the provider's send rate (not a failed attempt)."""
    for rate, burst, scope in PACING.get(channel.type, ()):
        key = f"pace:{channel.id}" + (f":{target.thread_id}" if scope == "chat" else "")
        try:
            await runtime.limiter.hit(Bucket(key, rate, burst))  # one at a time: say which
        except RateLimited as e:
            raise Deferred(f"{channel.type} send pacing ({scope})", e.retry_after) from e


async def _retry_or_give_up(
    runtime: Runtime,
    message: Message,
    job: ClaimedJob,
    reason: str,
    retry_after: float | None,
    cause: BaseException | None = None,
) -> NoReturn:
    """Retry (after ``retry_after`` s, or the queue's backoff when 0), or fail for good.

    ``retry_after`` None means retrying cannot help (the provider refused the message).
    """
    if retry_after is None or job.attempts >= job.max_attempts:
        if retry_after is not None:
            reason = f"{reason} (gave up after {job.attempts} attempts)"
        await _fail(runtime, message, reason)
        raise PermanentJobError(reason) from cause
    if retry_after > 0:
        raise RetryLater(reason, retry_after) from cause
    raise ProviderError(reason) from cause


async def _fail(runtime: Runtime, message: Message, reason: str) -> None:
    """Mark the message failed, in a transaction of its own (the job's one rolls back)."""
    log.warning("send_failed", message_id=message.id, reason=reason)
    async with runtime.db.tenant_tx(message.tenant_id) as own:
        row = await own.get(Message, message.id)
        if row is not None:
            row.status = "failed"
            row.meta = {**row.meta, "error": reason[:500]}


async def apply_status(runtime: Runtime, session: AsyncSession, job: ClaimedJob) -> None:
    """Handle a ``channel.status`` job: move the message's status forward."""
    raw = await session.get(RawMessage, job.payload.get("raw_message_id"))
    if raw is None or raw.tenant_id != job.tenant_id:
        raise PermanentJobError("raw receipt not found")
    status = str(raw.payload.get("status"))
    message_id = await session.scalar(
        select(ChannelDelivery.message_id).where(
            ChannelDelivery.tenant_id == raw.tenant_id,
            ChannelDelivery.channel_id == raw.channel_id,
            ChannelDelivery.provider_message_id == raw.payload.get("provider_message_id"),
        )
    )
    if message_id is None:
        if job.attempts < 3:  # the receipt can overtake our own commit of the send
            raise RetryLater("receipt for a message not recorded yet", 1.0)
        return
    message = await session.get(Message, message_id)
    if message is None:
        return
    if status == "failed" or STATUS_RANK.get(status, 0) > STATUS_RANK.get(message.status, 0):
        await runtime.db.begin_write(session)
        message.status = status
        if raw.payload.get("reason"):
            message.meta = {**message.meta, "error": str(raw.payload["reason"])[:500]}
