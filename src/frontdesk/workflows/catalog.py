"""What the workflow builder needs to know about the engine, so the console hard-codes none of it.

Node types (grouped for the palette, with their handles and their configuration's JSON
Schema), trigger kinds, the event types a trigger may listen to with the payload fields each
carries, and the rule operators by value type.
"""

from __future__ import annotations

from functools import cache

from frontdesk.workflows.expressions import SCOPE_NAMES
from frontdesk.workflows.nodes.base import Effect, Node
from frontdesk.workflows.nodes.registry import NODES
from frontdesk.workflows.rules import OPERATORS, OPERATORS_BY_TYPE, UNARY
from frontdesk.workflows.schemas import (
    Catalog,
    EventType,
    NodeGroup,
    NodeType,
    PayloadField,
    TriggerKind,
)
from frontdesk.workflows.validate import ERROR_HANDLE

GROUPS: tuple[NodeGroup, ...] = (
    NodeGroup(key="trigger", label="Trigger side"),
    NodeGroup(key="logic", label="Logic"),
    NodeGroup(key="actions", label="Actions"),
    NodeGroup(key="waits", label="Waits"),
    NodeGroup(key="flow", label="Flow"),
)
"""Palette groups, in display order."""

GROUP_OF = {
    "start": "trigger",
    "condition": "logic",
    "set": "logic",
    "http": "actions",
    "llm": "actions",
    "send_message": "actions",
    "create_task": "actions",
    "escalate": "actions",
    "delay": "waits",
    "wait_until": "waits",
    "wait_event": "waits",
    "wait_reply": "waits",
    "approval": "waits",
    "fork": "flow",
    "join": "flow",
    "subworkflow": "flow",
    "end": "flow",
}
"""The palette group of each node type (a type missing here falls back on its effect)."""

_GROUP_BY_EFFECT = {
    Effect.PURE: "logic",
    Effect.DB: "actions",
    Effect.EXTERNAL: "actions",
    Effect.WAIT: "waits",
    Effect.CONTROL: "flow",
}

LABELS = {"http": "HTTP request", "llm": "LLM", "set": "Set variables"}
"""Labels that are not simply the type name in words."""


def _field(name: str, type_: str = "string", description: str = "") -> PayloadField:
    return PayloadField(name=name, type=type_, description=description)


_MESSAGE = [
    _field("message_id"),
    _field("conversation_id"),
    _field("channel", description="webchat, sms, email, …"),
    _field("text", description="the message text (first 2000 characters)"),
    _field("intent", description="the detected intent's name, if any"),
    _field("sentiment", description="positive, neutral or negative"),
]
_STATUS = [
    _field("conversation_id"),
    _field("status", description="bot, waiting, human or closed"),
    _field("previous", description="the status before"),
    _field("assignee_id"),
]
_TASK = [
    _field("task_id"),
    _field("ref", description="the short reference the customer was given"),
    _field("title"),
    _field("status", description="open, in_progress, completed or cancelled"),
    _field("priority", description="low, normal, high or urgent"),
    _field("source", description="workflow, conversation or api"),
    _field("assignee_id"),
    _field("due_at"),
    _field("conversation_id"),
    _field("contact_id"),
    _field("instance_id"),
]

EVENTS: tuple[EventType, ...] = (
    EventType(
        type="message.received", description="A customer's message came in.", fields=_MESSAGE
    ),
    EventType(
        type="intent.detected",
        description="A customer's message with a detected intent.",
        fields=_MESSAGE,
    ),
    EventType(
        type="message.sent",
        description="The bot, an agent or a workflow replied.",
        fields=[
            _field("message_id"),
            _field("conversation_id"),
            _field("handler", description="faq, handoff, agent, workflow, …"),
        ],
    ),
    EventType(
        type="conversation.escalated",
        description="A conversation was handed to a human.",
        fields=[*_STATUS, _field("reason")],
    ),
    EventType(type="conversation.closed", description="A conversation closed.", fields=_STATUS),
    EventType(
        type="conversation.changed",
        description="A conversation's owner changed (to the bot or a member).",
        fields=_STATUS,
    ),
    EventType(
        type="conversation.status_changed",
        description="Any change of a conversation's status.",
        fields=_STATUS,
    ),
    EventType(
        type="contact.merged",
        description="Two contacts were merged.",
        fields=[_field("kept"), _field("merged")],
    ),
    EventType(
        type="workflow.task_created",
        description="A workflow created a task.",
        fields=[_field("task_id"), _field("instance_id"), _field("assignee_id")],
    ),
    EventType(
        type="workflow.task_completed",
        description="A member completed a workflow task.",
        fields=[_field("task_id"), _field("instance_id"), _field("result")],
    ),
    EventType(
        type="task.created",
        description="A task was created (by a workflow, a conversation or the API).",
        fields=_TASK,
    ),
    EventType(
        type="task.assigned",
        description="A task was given to a member.",
        fields=[_field("task_id"), _field("assignee_id"), _field("previous_assignee_id")],
    ),
    EventType(
        type="task.completed",
        description="A task was completed.",
        fields=[*_TASK, _field("completed_by"), _field("note")],
    ),
    EventType(
        type="task.cancelled",
        description="A task was cancelled.",
        fields=[*_TASK, _field("cancelled_by")],
    ),
    EventType(
        type="feedback.received",
        description="A customer rated the help they got (CSAT 1–5).",
        fields=[
            _field("conversation_id"),
            _field("message_id"),
            _field("score", "number", "1 (poor) to 5 (excellent)"),
            _field("source", description="reaction, rating or text"),
            _field("channel"),
        ],
    ),
    EventType(
        type="assessment.completed",
        description="A customer finished an assessment.",
        fields=[
            _field("result_id"),
            _field("assessment", description="the assessment's key"),
            _field("version", "number"),
            _field("conversation_id"),
            _field("contact_id"),
            _field("score", "number"),
            _field("band", description="the result band's title"),
        ],
    ),
    EventType(
        type="reminder.sent",
        description="A customer's reminder went out.",
        fields=[
            _field("reminder_id"),
            _field("conversation_id"),
            _field("contact_id"),
            _field("text"),
            _field("due_at"),
        ],
    ),
    EventType(
        type="callback.queued",
        description="No agent was available: the customer waits for a callback.",
        fields=[
            _field("callback_id"),
            _field("conversation_id"),
            _field("contact_id"),
            _field("reason"),
        ],
    ),
    EventType(
        type="workflow.instance_finished",
        description="A workflow run finished.",
        fields=[
            _field("instance_id"),
            _field("workflow_id"),
            _field("status", description="completed, failed or cancelled"),
        ],
    ),
    EventType(
        type="custom.*",
        description="A custom event posted to POST /api/v1/events (custom.<type>).",
        fields=[],
        pattern=True,
    ),
)
"""The event types a trigger or a wait-for-event node may name, with their payload fields."""

TRIGGERS: tuple[TriggerKind, ...] = (
    TriggerKind(
        type="event",
        label="Domain event",
        description="A domain event, optionally filtered by a rule group on its payload.",
        fields=["event", "when"],
    ),
    TriggerKind(
        type="webhook",
        label="Webhook",
        description="A signed POST to the workflow's webhook URL.",
        fields=[],
    ),
    TriggerKind(
        type="cron",
        label="Schedule",
        description="A cron expression, in a time zone.",
        fields=["cron", "timezone"],
    ),
    TriggerKind(
        type="manual",
        label="Manual / API",
        description="POST /api/v1/workflows/{id}/runs with an entity and an input.",
        fields=[],
    ),
)


def _label(node: Node) -> str:
    return LABELS.get(node.type) or node.type.replace("_", " ").capitalize()


def _description(node: Node) -> str:
    doc = type(node).__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def node_type(node: Node) -> NodeType:
    """What the builder shows and edits of one node type."""
    handles = [*node.handles, ERROR_HANDLE] if node.handles else []
    return NodeType.model_validate(
        {
            "type": node.type,
            "label": _label(node),
            "group": GROUP_OF.get(node.type, _GROUP_BY_EFFECT[node.effect]),
            "effect": node.effect.value,
            "handles": handles,
            "description": _description(node),
            "schema": node.Config.model_json_schema(),
        }
    )


@cache
def catalog() -> Catalog:
    """The whole catalog (computed once: the registry does not change at run time)."""
    return Catalog(
        groups=list(GROUPS),
        nodes=[node_type(node) for node in NODES.values()],
        triggers=list(TRIGGERS),
        events=list(EVENTS),
        operators={kind: list(names) for kind, names in OPERATORS_BY_TYPE.items()},
        all_operators=list(OPERATORS),
        unary_operators=sorted(UNARY),
        scope=sorted(SCOPE_NAMES),
    )
