"""Hand-over to a human: the tenant's fallback text, and the conversation flagged for the inbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation
from frontdesk.conversations.ownership import WAITING, set_status
from frontdesk.core.outbox import publish
from frontdesk.handlers.base import Reply


async def hand_over(
    session: AsyncSession, conversation: Conversation, fallback_text: str, reason: str
) -> Reply | None:
    """Flag the conversation for a human; reply with the fallback the first time only."""
    if conversation.needs_human:
        return None  # already waiting for an agent: don't repeat the fallback at every message
    await set_status(session, conversation, WAITING, None)
    await publish(
        session,
        conversation.tenant_id,
        "conversation.escalated",
        {"conversation_id": conversation.id, "reason": reason},
    )
    return Reply(fallback_text, "handoff", {"reason": reason})
