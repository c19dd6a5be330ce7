"""Who answers a conversation: the bot, or the one member who claimed it.

``bot`` → ``waiting`` (the bot handed over) → ``human`` (claimed or assigned) → ``bot`` again
(handed back) or ``closed``. Each change publishes ``conversation.status_changed`` in the same
transaction. A member's reply, or closing the conversation, settles its pending callback.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from frontdesk.conversations import callbacks
from frontdesk.conversations.models import Conversation, Message
from frontdesk.conversations.service import add_message
from frontdesk.core.clock import utcnow
from frontdesk.core.errors import Conflict
from frontdesk.core.outbox import publish

BOT, WAITING, HUMAN, CLOSED = "bot", "waiting", "human", "closed"
STATUSES = (BOT, WAITING, HUMAN, CLOSED)
OWNER_FIELDS = ("status", "assignee_id", "needs_human", "waiting_since", "escalation_reason")
"""What a member's action changes (:func:`set_status` writes them): re-read before writing."""
_conversations = cast(Table, Conversation.__table__)
_OWNER = select(*(_conversations.c[f] for f in OWNER_FIELDS)).where(
    _conversations.c.id == bindparam("id")
)


async def set_status(
    session: AsyncSession, conversation: Conversation, status: str, assignee_id: str | None
) -> None:
    """Move ``conversation`` to ``status`` (owned by ``assignee_id``) and publish the change.

    Waiting starts the clock (``waiting_since``); leaving it stops it. The escalation reason
    stays while a human owns the conversation and goes when the bot has it again.
    """
    previous = conversation.status
    conversation.status = status
    conversation.assignee_id = assignee_id
    conversation.needs_human = status == WAITING
    if status != WAITING:
        conversation.waiting_since = None
    elif previous != WAITING or conversation.waiting_since is None:
        conversation.waiting_since = utcnow()
    if status in (BOT, CLOSED):
        conversation.escalation_reason = None
    await publish(
        session,
        conversation.tenant_id,
        "conversation.status_changed",
        {
            "conversation_id": conversation.id,
            "status": status,
            "previous": previous,
            "assignee_id": assignee_id,
        },
    )


async def reload_owner(session: AsyncSession, conversation: Conversation) -> None:
    """Re-read who owns ``conversation``: a member may have claimed it since it was loaded.

    Only the fields a member's action changes; one Core statement, not a full refresh.
    """
    row = (await session.execute(_OWNER, {"id": conversation.id})).one()
    for field, value in zip(OWNER_FIELDS, row, strict=True):
        set_committed_value(conversation, field, value)


async def claim(session: AsyncSession, conversation: Conversation, member_id: str) -> None:
    """Give the conversation to ``member_id``; the bot stays silent until it is handed back."""
    if conversation.status == HUMAN and conversation.assignee_id == member_id:
        return
    if conversation.status == HUMAN:
        raise Conflict("Another member already owns this conversation")
    if conversation.status == CLOSED:
        raise Conflict("The conversation is closed")
    await set_status(session, conversation, HUMAN, member_id)


async def assign(session: AsyncSession, conversation: Conversation, member_id: str) -> None:
    """Give the conversation to ``member_id``, even from another owner (an admin's choice)."""
    if conversation.status == CLOSED:
        raise Conflict("The conversation is closed")
    if conversation.status == HUMAN and conversation.assignee_id == member_id:
        return
    await set_status(session, conversation, HUMAN, member_id)


def _require_owner(conversation: Conversation, member_id: str) -> None:
    if conversation.status != HUMAN or conversation.assignee_id != member_id:
        raise Conflict("Claim the conversation first")


async def reply(
    session: AsyncSession,
    conversation: Conversation,
    member_id: str,
    text: str,
    *,
    in_app: bool = True,
    content: dict[str, Any] | None = None,
    translation: dict[str, Any] | None = None,
) -> Message:
    """Record the owner's reply as an outbound message and publish ``message.sent``.

    ``translation`` (``{original, from, to}``) is kept in the message's meta when ``text`` is
    the member's reply translated into the customer's language.

    An in-app channel (the web chat) shows it at once (``sent``); on a provider's channel it is
    ``queued`` for the caller to hand to a send job in the same transaction.
    """
    _require_owner(conversation, member_id)
    message = add_message(
        session,
        conversation,
        direction="out",
        sender="agent",
        text=text,
        meta={
            "handler": "agent",
            "member_id": member_id,
            **({"translation": translation} if translation else {}),
        },
        content=content,
        status="sent" if in_app else "queued",
    )
    await session.flush()
    await publish(
        session,
        conversation.tenant_id,
        "message.sent",
        {"message_id": message.id, "conversation_id": conversation.id, "handler": "agent"},
    )
    await callbacks.settle(session, conversation, member_id)
    return message


async def hand_back(session: AsyncSession, conversation: Conversation, member_id: str) -> None:
    """Return an owned conversation to the bot."""
    _require_owner(conversation, member_id)
    await set_status(session, conversation, BOT, None)


async def close(
    session: AsyncSession, conversation: Conversation, member_id: str | None = None
) -> None:
    """Close the conversation (a new customer message reopens it with the bot).

    Its pending callback is done, by ``member_id`` when a member closed it.
    """
    if conversation.status != CLOSED:
        await set_status(session, conversation, CLOSED, None)
    await callbacks.settle(session, conversation, member_id)
