"""Tasks from conversations: a message becomes a task for the team, and its status is told.

A routing rule sends a message here with params such as ``{"title": "Call back
{{contact.name}}", "assignee_id": "…", "priority": "high", "due_in_hours": 4}`` (every one
optional; strings are ``{{ expression }}`` templates over the routing rule's fields). The task is
linked to the conversation, assigned (the given member, else the agent with the fewest open tasks,
else nobody), and the customer gets its short reference. The handler volunteers, too, when a
customer asks how their request is going and the conversation has a task still to be done.
A rule creates a task unless its params say ``{"action": "status"}``; the handler's own
volunteering answers the status question.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from frontdesk.core.clock import utcnow
from frontdesk.core.logging import get_logger
from frontdesk.handlers.base import Member, Reply, Turn
from frontdesk.routing.scope import scope
from frontdesk.tasks import service
from frontdesk.tasks.schemas import short_ref
from frontdesk.workflows.expressions import ExpressionError, render

log = get_logger("frontdesk.handlers.task")

NAME = "task"
STATUS_INTENTS = frozenset({"request_status", "task_status"})
_SUBJECT = r"(?:request|ticket|case|call[- ]?back)s?"
_STATE = r"(?:status|progress|update|news|done|ready|going|finished|handled)"
STATUS_QUESTION = re.compile(
    rf"\b{_STATE}\b.{{0,40}}\b{_SUBJECT}\b|\b{_SUBJECT}\b.{{0,40}}\b{_STATE}\b", re.I
)
"""A question about how a request is going ("what's the status of my request?")."""
STATE_TEXT = {"open": "waiting for our team", "in_progress": "being worked on"}
MAX_TITLE_FROM_TEXT = 120
CREATED_TEXT = (
    "Thanks, I've passed your request “{title}” on to our team (reference {ref}). "
    "I'll let you know here when it's done."
)


class TaskParams(BaseModel):
    """What a routing rule may say about the task to create."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["create", "status"] | None = None
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str = Field(default="", max_length=5000)
    assignee_id: str | None = Field(default=None, min_length=1, max_length=36)
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    due_in_hours: float | None = Field(default=None, gt=0, le=24 * 366)


def asks_status(turn: Turn) -> bool:
    """Whether the message asks how a request is going."""
    return turn.intent in STATUS_INTENTS or bool(STATUS_QUESTION.search(turn.text))


def wants(turn: Turn) -> bool:
    """Volunteer for a status question in a conversation (``prepare`` looks for its tasks)."""
    return turn.conversation is not None and asks_status(turn)


async def prepare(turn: Turn) -> bool:
    """Read what the answer needs: the open tasks for a status question, else the new task."""
    try:
        params = TaskParams.model_validate(turn.params)
    except ValidationError as exc:
        log.warning("task_params_invalid", errors=exc.errors(include_url=False))
        return False
    action = params.action or ("status" if turn.reason == "detected" else "create")
    if action == "status":
        return await _prepare_status(turn)
    turn.prepared["task"] = {
        "title": _title(turn, params),
        "description": _render(turn, params.description) if params.description else "",
        "assignee_id": await _assignee(turn, params.assignee_id),
        "priority": params.priority,
        "due_at": utcnow() + timedelta(hours=params.due_in_hours) if params.due_in_hours else None,
    }
    return True


async def handle(turn: Turn) -> Reply | None:
    """Create the prepared task and confirm it, or tell the status of the open ones."""
    if "status" in turn.prepared:
        return _status_reply(turn.prepared["status"])
    prepared: dict[str, Any] | None = turn.prepared.get("task")
    if prepared is None:
        return None
    assert turn.conversation is not None and turn.message is not None
    draft = service.TaskDraft(
        source="conversation",
        conversation_id=turn.conversation.id,
        idempotency_key=f"message:{turn.message.id}",
        data={"message_id": turn.message.id},
        **prepared,
    )
    task = await service.create_task(turn.runtime, turn.session, turn.tenant_id, draft)
    ref = short_ref(task.id)
    return Reply(
        CREATED_TEXT.format(title=task.title, ref=ref),
        NAME,
        {"task_id": task.id, "ref": ref, "assignee_id": task.assignee_id},
    )


async def _prepare_status(turn: Turn) -> bool:
    if turn.conversation is None:
        return False
    tasks = await service.active_for_conversation(
        turn.session, turn.tenant_id, turn.conversation.id
    )
    turn.prepared["status"] = [
        (task.id, task.title, short_ref(task.id), task.status, task.due_at) for task in tasks
    ]
    return bool(tasks)


def _status_reply(tasks: list[tuple[str, str, str, str, datetime | None]]) -> Reply:
    parts = [
        f"“{title}” ({ref}) is {STATE_TEXT.get(status, status)}" + _due(due_at)
        for _, title, ref, status, due_at in tasks
    ]
    if len(parts) == 1:
        text = f"Your request {parts[0]}."
    else:
        text = "Here is where your requests stand: " + "; ".join(parts) + "."
    return Reply(text, NAME, {"answer": "status", "task_ids": [task[0] for task in tasks]})


def _due(due_at: datetime | None) -> str:
    return f", due by {due_at:%d %b %Y, %H:%M} UTC" if due_at else ""


def _title(turn: Turn, params: TaskParams) -> str:
    title = _render(turn, params.title).strip()[:300] if params.title else ""
    if title:
        return title
    text = " ".join(turn.text.split())
    if len(text) > MAX_TITLE_FROM_TEXT:
        text = text[: MAX_TITLE_FROM_TEXT - 1] + "…"
    return text or "Customer request"


def _render(turn: Turn, template: str) -> str:
    """``template`` rendered over the routing rule's fields; as written when it cannot be."""
    try:
        return render(template, scope(turn))
    except ExpressionError as exc:
        log.warning("task_template_failed", error=exc.detail)
        return template


async def _assignee(turn: Turn, requested: str | None) -> str | None:
    if requested is not None:
        if await service.is_member(turn.session, turn.tenant_id, requested):
            return requested
        log.warning("task_assignee_unknown", assignee_id=requested)
    return await service.least_loaded_agent(turn.session, turn.tenant_id)


MEMBER = Member(
    NAME,
    handle,
    prepare,
    wants,
    description="turn a message into a task for the team; tell the status of open ones",
)
