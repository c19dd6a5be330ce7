"""Workflow (PRODUCT.md R3): hand the message to the tenant's automation.

A routing rule names this handler with ``params.event`` (``custom.refund_request``, say): the
handler publishes that event with the message, its intent and entities, and the workflows
triggered by it take over; the bot replies only with ``params.text``, if given. While a
workflow waits for this conversation's reply (a ``wait_reply`` node), the bot stays silent and
the message goes to the workflow.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select

from frontdesk.core.outbox import publish
from frontdesk.handlers.base import Member, Reply, Turn
from frontdesk.workflows.models import WorkflowWait
from frontdesk.workflows.triggers import TRIGGERS

NAME = "workflow"
DEFAULT_EVENT = "custom.conversation_routed"
_WAITING = (
    select(WorkflowWait.id)
    .where(WorkflowWait.tenant_id == bindparam("tenant_id"), WorkflowWait.key == bindparam("key"))
    .limit(1)
)


def event_name(params: dict[str, object]) -> str:
    """The event a rule asks for, always in the ``custom.`` namespace."""
    name = str(params.get("event") or DEFAULT_EVENT).strip()
    return name if name.startswith("custom.") else f"custom.{name}"


async def awaits_reply(turn: Turn) -> bool:
    """Whether one of the tenant's workflows waits for this conversation's next message."""
    if turn.conversation is None:
        return False
    listening = await TRIGGERS.of(turn.runtime.db, turn.tenant_id)
    if "reply" not in listening.awaited:
        return False  # the usual case: no query
    key = f"reply:{turn.conversation.id}"
    found = await turn.session.scalar(_WAITING, {"tenant_id": turn.tenant_id, "key": key})
    return found is not None


async def handle(turn: Turn) -> Reply | None:
    """Publish the rule's event (or, for a waiting workflow, nothing more: it has the message)."""
    assert turn.conversation is not None and turn.message is not None
    if turn.params.get("waiting"):
        return Reply("", NAME, {"waiting": True})
    event = event_name(turn.params)
    await publish(
        turn.session,
        turn.tenant_id,
        event,
        {
            "conversation_id": turn.conversation.id,
            "contact_id": turn.conversation.contact_id,
            "message_id": turn.message.id,
            "channel": turn.channel_type,
            "text": turn.text[:2000],
            "intent": turn.intent,
            "entities": {str(e.get("type")): e.get("value") for e in turn.entities},
            "language": (turn.analysis or {}).get("language"),
        },
    )
    return Reply(str(turn.params.get("text") or ""), NAME, {"event": event})


MEMBER = Member(NAME, handle, description="start the tenant's workflows with an event")
