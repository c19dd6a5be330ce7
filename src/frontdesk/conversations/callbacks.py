"""Callbacks: customers to get back to when the bot handed over and no agent was available.

A callback is queued once per conversation at a time (``callback.queued``); it is done when a
member replies in the conversation, closes it, or marks it done (``callback.done``), or it is
cancelled. Agents becoming available changes nothing: pending callbacks stay listed until
someone acts on them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Callback, Conversation
from frontdesk.core.clock import utcnow
from frontdesk.core.db import owned_row
from frontdesk.core.errors import Conflict, NotFound
from frontdesk.core.outbox import publish

PENDING, DONE, CANCELLED = "pending", "done", "cancelled"
STATUSES = (PENDING, DONE, CANCELLED)


async def pending_for(session: AsyncSession, conversation: Conversation) -> Callback | None:
    """The conversation's pending callback, if it has one."""
    return await session.scalar(
        select(Callback).where(
            Callback.tenant_id == conversation.tenant_id,
            Callback.conversation_id == conversation.id,
            Callback.status == PENDING,
        )
    )


async def queue_callback(
    session: AsyncSession, conversation: Conversation, reason: str
) -> Callback:
    """Queue a callback for the conversation's contact (the pending one, if already queued)."""
    existing = await pending_for(session, conversation)
    if existing is not None:
        return existing
    callback = Callback(
        tenant_id=conversation.tenant_id,
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        reason=reason,
        requested_at=utcnow(),
    )
    session.add(callback)
    await session.flush()
    await publish(
        session,
        conversation.tenant_id,
        "callback.queued",
        {
            "callback_id": callback.id,
            "conversation_id": conversation.id,
            "contact_id": conversation.contact_id,
            "reason": reason,
        },
    )
    return callback


async def settle(session: AsyncSession, conversation: Conversation, member_id: str | None) -> None:
    """Mark the conversation's pending callback done (a member answered or closed it)."""
    callback = await pending_for(session, conversation)
    if callback is not None:
        await _finish(session, callback, DONE, member_id)


async def list_callbacks(
    session: AsyncSession,
    tenant_id: str,
    *,
    status: str | None = None,
    conversation_id: str | None = None,
    contact_id: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Callback]:
    """The tenant's callbacks, oldest request first."""
    stmt = select(Callback).where(Callback.tenant_id == tenant_id)
    if status:
        stmt = stmt.where(Callback.status == status)
    if conversation_id:
        stmt = stmt.where(Callback.conversation_id == conversation_id)
    if contact_id:
        stmt = stmt.where(Callback.contact_id == contact_id)
    if since is not None:
        stmt = stmt.where(Callback.requested_at >= since)
    stmt = stmt.order_by(Callback.requested_at, Callback.id).limit(limit).offset(offset)
    return list((await session.scalars(stmt)).all())


async def get_callback(
    session: AsyncSession, tenant_id: str, callback_id: str, *, lock: bool = False
) -> Callback:
    """One callback of the tenant (row-locked on PostgreSQL with ``lock``), or NotFound."""
    callback = await owned_row(session, Callback, tenant_id, callback_id, lock=lock)
    if callback is None:
        raise NotFound("No such callback")
    return callback


async def finish(
    session: AsyncSession, callback: Callback, status: str, member_id: str | None
) -> None:
    """Mark a pending callback ``done`` or ``cancelled``; any other state is a Conflict."""
    if callback.status != PENDING:
        raise Conflict(f"The callback is already {callback.status}")
    await _finish(session, callback, status, member_id)


async def _finish(
    session: AsyncSession, callback: Callback, status: str, member_id: str | None
) -> None:
    callback.status = status
    callback.done_at = utcnow()
    callback.done_by = member_id
    await publish(
        session,
        callback.tenant_id,
        f"callback.{status}",
        {
            "callback_id": callback.id,
            "conversation_id": callback.conversation_id,
            "member_id": member_id,
        },
    )
