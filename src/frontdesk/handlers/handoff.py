"""Hand-over to a human: the conversation flagged for the inbox, and the customer told.

When an agent is available the customer gets the tenant's fallback text; when none is (nobody
marked available, or outside business hours) the customer is told so and a callback is queued.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.callbacks import queue_callback
from frontdesk.conversations.inbox import agent_available
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.ownership import WAITING, set_status
from frontdesk.core.outbox import publish
from frontdesk.handlers.base import Member, Reply, Turn

REASON_CHARS = 64


async def hand_over(
    session: AsyncSession,
    conversation: Conversation,
    fallback_text: str,
    reason: str,
    *,
    no_agent_text: str | None = None,
) -> Reply | None:
    """Flag the conversation for a human; reply the first time only.

    With ``no_agent_text`` nobody can take it now: the customer reads that text instead of the
    fallback, and a callback is queued for the conversation.
    """
    reason = reason[:REASON_CHARS]
    if conversation.needs_human:
        return Reply("", "handoff", {"reason": reason, "already_waiting": True})
    await set_status(session, conversation, WAITING, None)
    conversation.escalation_reason = reason
    await publish(
        session,
        conversation.tenant_id,
        "conversation.escalated",
        {
            "conversation_id": conversation.id,
            "reason": reason,
            "agent_available": no_agent_text is None,
        },
    )
    if no_agent_text is None:
        return Reply(fallback_text, "handoff", {"reason": reason})
    callback = await queue_callback(session, conversation, reason)
    return Reply(no_agent_text, "handoff", {"reason": reason, "callback_id": callback.id})


async def handle(turn: Turn) -> Reply | None:
    """Hand the conversation over; ``params.reason`` says why (``no_answer`` by default).

    ``params.text`` and ``params.no_agent_text`` override the tenant's texts.
    """
    conversation = turn.conversation
    assert conversation is not None
    reason = str(turn.params.get("reason") or "no_answer")
    text = str(turn.params.get("text") or turn.prefs.fallback_text)
    turn.context.end_flow()
    no_agent_text = None
    if not conversation.needs_human and not await agent_available(
        turn.session, turn.tenant_id, turn.prefs
    ):
        no_agent_text = str(turn.params.get("no_agent_text") or turn.prefs.no_agent_text)
    return await hand_over(turn.session, conversation, text, reason, no_agent_text=no_agent_text)


MEMBER = Member("handoff", handle, description="flag the conversation for a human agent")
