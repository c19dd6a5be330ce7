"""Conversations and messages."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation, Message
from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database, flush, owned_row
from frontdesk.core.errors import NotFound
from frontdesk.core.ids import new_id

_WAITING = "waiting"  # ownership.WAITING (ownership imports this module)


async def start_conversation(
    session: AsyncSession, tenant_id: str, channel_id: str, thread_id: str, contact_id: str
) -> Conversation:
    """Create the conversation of a channel thread (on its first message; flushed, or staged)."""
    conversation = Conversation(
        id=new_id(),
        tenant_id=tenant_id,
        channel_id=channel_id,
        external_thread_id=thread_id,
        contact_id=contact_id,
    )
    session.add(conversation)
    await flush(session)
    return conversation


_THREAD = select(Conversation).where(  # built once: it runs for every message
    Conversation.tenant_id == bindparam("tenant_id"),
    Conversation.channel_id == bindparam("channel_id"),
    Conversation.external_thread_id == bindparam("thread_id"),
)


async def find_thread(
    session: AsyncSession, tenant_id: str, channel_id: str, thread_id: str
) -> Conversation | None:
    """The conversation of a channel thread, if it has one yet."""
    params = {"tenant_id": tenant_id, "channel_id": channel_id, "thread_id": thread_id}
    return await session.scalar(_THREAD, params)


def add_message(
    session: AsyncSession,
    conversation: Conversation,
    *,
    direction: str,
    sender: str,
    text: str,
    message_id: str | None = None,
    meta: dict[str, Any] | None = None,
    content: dict[str, Any] | None = None,
    reply_to_id: str | None = None,
    status: str = "received",
) -> Message:
    """Append a message to a conversation (flushed with the session)."""
    message = Message(
        id=message_id or new_id(),
        tenant_id=conversation.tenant_id,
        conversation_id=conversation.id,
        direction=direction,
        sender=sender,
        text=text,
        content=content or {},
        meta=meta or {},
        reply_to_id=reply_to_id,
        status=status,
    )
    session.add(message)
    conversation.last_message_at = utcnow()
    return message


async def list_conversations(
    session: AsyncSession,
    tenant_id: str,
    *,
    status: str | None = None,
    needs_human: bool | None = None,
    contact_id: str | None = None,
    assignee_id: str | None = None,
    unassigned: bool = False,
    channel_ids: Collection[str] | None = None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Conversation]:
    """A tenant's conversations, most recently active first (waiting ones: longest wait first).

    ``channel_ids`` keeps the conversations of those channels; ``since`` those active since then.
    """
    stmt = select(Conversation).where(Conversation.tenant_id == tenant_id)
    if status:
        stmt = stmt.where(Conversation.status == status)
    if needs_human is not None:
        stmt = stmt.where(Conversation.needs_human.is_(needs_human))
    if contact_id:
        stmt = stmt.where(Conversation.contact_id == contact_id)
    if assignee_id:
        stmt = stmt.where(Conversation.assignee_id == assignee_id)
    if unassigned:
        stmt = stmt.where(Conversation.assignee_id.is_(None))
    if channel_ids is not None:
        stmt = stmt.where(Conversation.channel_id.in_(list(channel_ids)))
    if since is not None:
        stmt = stmt.where(Conversation.last_message_at >= since)
    if status == _WAITING:
        stmt = stmt.order_by(Conversation.waiting_since, Conversation.id)
    else:
        stmt = stmt.order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
    return list((await session.scalars(stmt.limit(limit).offset(offset))).all())


async def get_conversation(
    session: AsyncSession, tenant_id: str, conversation_id: str, *, lock: bool = False
) -> Conversation:
    """One conversation of the tenant (row-locked on PostgreSQL with ``lock``), or NotFound."""
    conversation = await owned_row(session, Conversation, tenant_id, conversation_id, lock=lock)
    if conversation is None:
        raise NotFound("No such conversation")
    return conversation


async def messages(
    session: AsyncSession,
    tenant_id: str,
    conversation_id: str,
    *,
    after: str | None = None,
    limit: int = 200,
) -> list[Message]:
    """A conversation's messages in order, optionally only those after message ``after``."""
    stmt = select(Message).where(
        Message.tenant_id == tenant_id, Message.conversation_id == conversation_id
    )
    return await _in_order(session, stmt, after, limit)


async def thread_messages(
    session: AsyncSession,
    tenant_id: str,
    channel_id: str,
    thread_id: str,
    *,
    after: str | None = None,
    limit: int = 200,
) -> list[Message]:
    """The messages of a channel thread's conversation (as :func:`messages`), in one query."""
    stmt = (
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.tenant_id == tenant_id,
            Conversation.channel_id == channel_id,
            Conversation.external_thread_id == thread_id,
            Message.tenant_id == tenant_id,
        )
    )
    return await _in_order(session, stmt, after, limit)


async def _in_order(
    session: AsyncSession, stmt: Select[Message], after: str | None, limit: int
) -> list[Message]:
    """The first ``limit`` messages ``stmt`` selects (after message ``after``), oldest first."""
    if after:
        stmt = stmt.where(Message.id > after)
    return list((await session.scalars(stmt.order_by(Message.id).limit(limit))).all())


async def last_messages(
    session: AsyncSession, tenant_id: str, conversation_ids: list[str]
) -> dict[str, Message]:
    """The latest message of each of the given conversations (ids are time-ordered)."""
    if not conversation_ids:
        return {}
    latest = (
        select(func.max(Message.id))
        .where(Message.tenant_id == tenant_id, Message.conversation_id.in_(conversation_ids))
        .group_by(Message.conversation_id)
    )
    rows = await session.scalars(select(Message).where(Message.id.in_(latest)))
    return {m.conversation_id: m for m in rows}


async def forget_expired_contexts(db: Database) -> int:
    """Clear the bot's memory of conversations whose context expired; return how many.

    An expired context is ignored anyway; clearing it keeps the latest customer texts and the
    entities under discussion no longer than the context lives.
    """
    async with db.system_tx() as session:
        result = await session.execute(
            update(Conversation)
            .where(Conversation.context_expires_at <= utcnow())
            .values(context={}, context_expires_at=None)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
