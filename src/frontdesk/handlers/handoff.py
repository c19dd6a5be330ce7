"""Hand-over to a human: the tenant's fallback text, and the conversation flagged for the inbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation
from frontdesk.conversations.ownership import WAITING, set_status
from frontdesk.core.outbox import publish
from frontdesk.handlers.base import Member, Reply, Turn


async def hand_over(
    session: AsyncSession, conversation: Conversation, fallback_text: str, reason: str
) -> Reply | None:
    """Flag the conversation for a human; reply with the fallback the first time only."""
    if conversation.needs_human:
        return Reply("", "handoff", {"reason": reason, "already_waiting": True})
    await set_status(session, conversation, WAITING, None)
    await publish(
        session,
        conversation.tenant_id,
        "conversation.escalated",
        {"conversation_id": conversation.id, "reason": reason},
    )
    return Reply(fallback_text, "handoff", {"reason": reason})


async def handle(turn: Turn) -> Reply | None:
    """Hand the conversation over; ``params.reason`` says why (``no_answer`` by default)."""
    assert turn.conversation is not None
    reason = str(turn.params.get("reason") or "no_answer")
    text = str(turn.params.get("text") or turn.prefs.fallback_text)
    turn.context.end_flow()
    return await hand_over(turn.session, turn.conversation, text, reason)


MEMBER = Member("handoff", handle, description="flag the conversation for a human agent")
