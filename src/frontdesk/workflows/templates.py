"""Ready-made workflows (W9), each with sample data that runs it in the simulator.

A template is a definition plus a sample; :func:`install` copies one into a tenant as a new
workflow with version 1, active. HTTP nodes call ``{{ vars.api }}``, a variable to point at the
tenant's own systems before activating for real.
"""

from __future__ import annotations

from typing import Any

N = tuple[str, str, dict[str, Any]]
E = tuple[str, str, str | None]
API = "https://api.example.com"


def _graph(
    nodes: list[N], edges: list[E], triggers: list[dict[str, Any]] | None = None, **variables: Any
) -> dict[str, Any]:
    """A definition laid out top to bottom, one node per row."""
    return {
        "nodes": [
            {"id": nid, "type": kind, "position": {"x": 0, "y": 120 * i}, "data": data}
            for i, (nid, kind, data) in enumerate(nodes)
        ],
        "edges": [
            {"id": f"e{i}", "source": s, "target": t, **({"sourceHandle": h} if h else {})}
            for i, (s, t, h) in enumerate(edges)
        ],
        "triggers": triggers or [{"type": "manual"}],
        "variables": {"api": API, **variables},
    }


def _rule(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def _all(*conditions: dict[str, Any], logical: str = "AND") -> dict[str, Any]:
    return {"rules": {"logical": logical, "conditions": list(conditions)}}


RETRY = {"max_attempts": 3, "backoff_seconds": 2, "retry_on": ["transient", "rate_limit"]}

LEAD = _graph(
    [
        ("start", "start", {}),
        (
            "analyze",
            "llm",
            {
                "label": "Analyse the lead",
                "prompt": "Analyze this lead and suggest next actions:\nName: {{ input.name }}\n"
                "Score: {{ input.score }}\nSource: {{ input.source }}",
                "json_mode": True,
                "json_schema": {
                    "type": "object",
                    "required": ["priority", "suggestedActions"],
                    "properties": {
                        "priority": {"type": "string", "enum": ["high", "medium", "low"]},
                        "suggestedActions": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "output_variable": "analysis",
                "retry": RETRY,
            },
        ),
        (
            "hot",
            "condition",
            {
                "label": "Hot lead?",
                **_all(
                    _rule("input.score", "greater_or_equal", 80),
                    {
                        "logical": "OR",
                        "conditions": [
                            _rule("input.source", "equals", "Website"),
                            _rule("input.source", "equals", "Referral"),
                        ],
                    },
                ),
            },
        ),
        ("tier", "set", {"assignments": [{"name": "tier", "mode": "static", "value": "hot"}]}),
        ("call", "create_task", {"title": "Call {{ input.name }} today", "due_in_hours": 4}),
        ("nurture_wait", "delay", {"label": "Wait two days", "seconds": 172800}),
        (
            "nurture",
            "create_task",
            {"title": "Follow up with {{ input.name }}", "due_in_hours": 48},
        ),
        ("end", "end", {"output": {"tier": "{{ coalesce(vars.tier, 'nurture') }}"}}),
    ],
    [
        ("start", "analyze", None),
        ("analyze", "hot", None),
        ("hot", "tier", "true"),
        ("tier", "call", None),
        ("call", "end", None),
        ("hot", "nurture_wait", "false"),
        ("nurture_wait", "nurture", None),
        ("nurture", "end", None),
    ],
    [{"type": "manual"}, {"type": "event", "event": "custom.lead_created"}],
)

ONBOARDING = _graph(
    [
        ("start", "start", {}),
        (
            "welcome",
            "send_message",
            {
                "text": "Welcome aboard, {{ input.name }}! Reply here any time you need us.",
                "conversation_id": "{{ input.conversation_id }}",
            },
        ),
        ("pause", "delay", {"label": "One day later", "seconds": 86400}),
        (
            "check_in",
            "send_message",
            {
                "text": "How is your first day going? Anything we can help with?",
                "conversation_id": "{{ input.conversation_id }}",
            },
        ),
        (
            "reply",
            "wait_reply",
            {
                "conversation_id": "{{ input.conversation_id }}",
                "wait_timeout_seconds": 259200,
            },
        ),
        ("engaged", "set", {"assignments": [{"name": "engaged", "mode": "static", "value": True}]}),
        (
            "call",
            "create_task",
            {"title": "Call new customer {{ input.name }}", "due_in_hours": 24},
        ),
        ("end", "end", {"output": {"engaged": "{{ coalesce(vars.engaged, False) }}"}}),
    ],
    [
        ("start", "welcome", None),
        ("welcome", "pause", None),
        ("pause", "check_in", None),
        ("check_in", "reply", None),
        ("reply", "engaged", None),
        ("engaged", "end", None),
        ("reply", "call", "timeout"),
        ("call", "end", None),
    ],
    [{"type": "manual"}, {"type": "event", "event": "custom.customer_signed_up"}],
)

OPPORTUNITY = _graph(
    [
        ("start", "start", {}),
        ("big", "condition", _all(_rule("input.amount", "greater", 10000))),
        ("split", "fork", {"label": "Prepare in parallel"}),
        ("proposal", "create_task", {"title": "Prepare proposal for {{ input.account }}"}),
        (
            "log",
            "http",
            {
                "method": "POST",
                "url": "{{ vars.api }}/crm/activities",
                "body": {"opportunity": "{{ input.opportunity_id }}", "type": "follow_up_started"},
                "retry": RETRY,
            },
        ),
        ("both", "join", {"policy": "all"}),
        ("wait", "delay", {"seconds": 259200}),
        (
            "update",
            "wait_event",
            {
                "event": "custom.opportunity_updated",
                "wait_timeout_seconds": 604800,
                "when": _all(_rule("opportunity_id", "equals", "{{ input.opportunity_id }}"))[
                    "rules"
                ],
            },
        ),
        ("chase", "create_task", {"title": "Chase {{ input.account }}: no update in a week"}),
        ("end", "end", {"output": {"opportunity": "{{ input.opportunity_id }}"}}),
    ],
    [
        ("start", "big", None),
        ("big", "split", "true"),
        ("big", "wait", "false"),
        ("split", "proposal", None),
        ("split", "log", None),
        ("proposal", "both", None),
        ("log", "both", None),
        ("both", "wait", None),
        ("wait", "update", None),
        ("update", "end", None),
        ("update", "chase", "timeout"),
        ("chase", "end", None),
    ],
)

TICKET = _graph(
    [
        ("start", "start", {}),
        (
            "urgent",
            "condition",
            _all(
                _rule("trigger.sentiment", "equals", "negative"),
                _rule("input.priority", "in", ["high", "urgent"]),
                logical="OR",
            ),
        ),
        ("escalate", "escalate", {"reason": "Urgent or unhappy customer"}),
        (
            "task",
            "create_task",
            {
                "title": "Urgent ticket in conversation {{ trigger.conversation_id }}",
                "due_in_hours": 1,
            },
        ),
        ("ack", "send_message", {"text": "Thanks for reaching out, we are looking into it."}),
        ("reply", "wait_reply", {"wait_timeout_seconds": 86400}),
        ("late", "escalate", {"reason": "No answer within a day"}),
        ("end", "end", {}),
    ],
    [
        ("start", "urgent", None),
        ("urgent", "escalate", "true"),
        ("escalate", "task", None),
        ("task", "end", None),
        ("urgent", "ack", "false"),
        ("ack", "reply", None),
        ("reply", "end", None),
        ("reply", "late", "timeout"),
        ("late", "end", None),
    ],
    [
        {
            "type": "event",
            "event": "message.received",
            "when": {"logical": "AND", "conditions": [_rule("sentiment", "equals", "negative")]},
        }
    ],
)

QUOTE = _graph(
    [
        ("start", "start", {}),
        ("discount", "condition", _all(_rule("input.discount", "greater", 15))),
        (
            "approve",
            "approval",
            {
                "title": "Approve quote {{ input.quote_id }}",
                "message": "{{ input.discount }}% discount on {{ input.amount }}",
                "wait_timeout_seconds": 172800,
            },
        ),
        (
            "issue",
            "http",
            {
                "method": "POST",
                "url": "{{ vars.api }}/quotes/{{ input.quote_id }}/issue",
                "retry": RETRY,
                "response_mapping": {"quote_status": "body.status"},
            },
        ),
        ("revise", "create_task", {"title": "Revise quote {{ input.quote_id }}"}),
        ("end", "end", {"output": {"status": "{{ coalesce(vars.quote_status, 'revise') }}"}}),
    ],
    [
        ("start", "discount", None),
        ("discount", "approve", "true"),
        ("discount", "issue", "false"),
        ("approve", "issue", "approved"),
        ("approve", "revise", "rejected"),
        ("approve", "revise", "timeout"),
        ("issue", "end", None),
        ("revise", "end", None),
    ],
)

ORDER_STATUS = _graph(
    [
        ("start", "start", {}),
        (
            "known",
            "set",
            {
                "assignments": [
                    {
                        "name": "order_id",
                        "mode": "expression",
                        "value": "coalesce(input.order_id, '')",
                    },
                ]
            },
        ),
        ("has_order", "condition", _all(_rule("vars.order_id", "is_not_empty"))),
        ("ask", "send_message", {"text": "Could you send me your order number?"}),
        ("reply", "wait_reply", {"wait_timeout_seconds": 3600}),
        (
            "read",
            "set",
            {
                "assignments": [
                    {"name": "order_id", "mode": "expression", "value": "trim(nodes.reply.text)"},
                ]
            },
        ),
        (
            "lookup",
            "http",
            {
                "method": "GET",
                "url": "{{ vars.api }}/orders/{{ vars.order_id }}",
                "retry": RETRY,
                "response_mapping": {"order_status": "body.status"},
            },
        ),
        (
            "answer",
            "send_message",
            {
                "text": "Your order {{ vars.order_id }} is {{ vars.order_status }}.",
            },
        ),
        ("handoff", "escalate", {"reason": "Order lookup failed"}),
        ("end", "end", {"output": {"status": "{{ vars.order_status }}"}}),
    ],
    [
        ("start", "known", None),
        ("known", "has_order", None),
        ("has_order", "lookup", "true"),
        ("has_order", "ask", "false"),
        ("ask", "reply", None),
        ("reply", "read", None),
        ("read", "lookup", None),
        ("reply", "end", "timeout"),
        ("lookup", "answer", None),
        ("lookup", "handoff", "error"),
        ("answer", "end", None),
        ("handoff", "end", None),
    ],
    [
        {
            "type": "event",
            "event": "intent.detected",
            "when": {"logical": "AND", "conditions": [_rule("intent", "equals", "order_status")]},
        }
    ],
)

REFUND = _graph(
    [
        ("start", "start", {}),
        (
            "order",
            "http",
            {
                "method": "GET",
                "url": "{{ vars.api }}/orders/{{ input.order_id }}",
                "retry": RETRY,
                "response_mapping": {"amount": "body.amount"},
            },
        ),
        ("small", "condition", _all(_rule("vars.amount", "less_or_equal", 50))),
        (
            "approve",
            "approval",
            {
                "title": "Refund {{ vars.amount }} on order {{ input.order_id }}",
                "wait_timeout_seconds": 86400,
            },
        ),
        (
            "refund",
            "http",
            {
                "method": "POST",
                "url": "{{ vars.api }}/orders/{{ input.order_id }}/refund",
                "body": {"amount": "{{ vars.amount }}"},
                "retry": RETRY,
            },
        ),
        ("done", "send_message", {"text": "Your refund of {{ vars.amount }} is on its way."}),
        (
            "sorry",
            "send_message",
            {"text": "We could not approve this refund; an agent will follow up."},
        ),
        ("handoff", "escalate", {"reason": "Refund rejected"}),
        ("end", "end", {}),
    ],
    [
        ("start", "order", None),
        ("order", "small", None),
        ("small", "refund", "true"),
        ("small", "approve", "false"),
        ("approve", "refund", "approved"),
        ("approve", "sorry", "rejected"),
        ("approve", "sorry", "timeout"),
        ("refund", "done", None),
        ("done", "end", None),
        ("sorry", "handoff", None),
        ("handoff", "end", None),
    ],
)

CSAT = _graph(
    [
        ("start", "start", {}),
        ("later", "delay", {"seconds": 3600}),
        ("ask", "send_message", {"text": "How did we do? Reply with a score from 1 to 5."}),
        ("reply", "wait_reply", {"wait_timeout_seconds": 86400}),
        (
            "score",
            "set",
            {
                "assignments": [
                    {"name": "score", "mode": "expression", "value": "int(trim(nodes.reply.text))"},
                ],
                "continue_on_error": True,
            },
        ),
        ("unhappy", "condition", _all(_rule("vars.score", "less_or_equal", 2))),
        ("follow_up", "create_task", {"title": "Unhappy customer (score {{ vars.score }})"}),
        ("thanks", "send_message", {"text": "Thank you for your feedback!"}),
        ("end", "end", {"output": {"score": "{{ vars.score }}"}}),
    ],
    [
        ("start", "later", None),
        ("later", "ask", None),
        ("ask", "reply", None),
        ("reply", "score", None),
        ("reply", "end", "timeout"),
        ("score", "unhappy", None),
        ("unhappy", "follow_up", "true"),
        ("unhappy", "thanks", "false"),
        ("follow_up", "end", None),
        ("thanks", "end", None),
    ],
    [{"type": "event", "event": "conversation.closed"}],
)

SAMPLES: dict[str, dict[str, Any]] = {
    "lead": {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "score": 85,
        "source": "Website",
        "company": "Analytical Engines Ltd",
    },
    "customer": {
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "conversation_id": "conv-sample",
    },
    "opportunity": {"opportunity_id": "opp-42", "account": "Initech", "amount": 25000},
    "ticket": {"priority": "high", "subject": "Payment failed twice"},
    "quote": {"quote_id": "Q-1001", "amount": 12000, "discount": 20},
    "order": {"order_id": "A1001"},
    "conversation": {},
}
"""Sample input per entity type, for the simulator."""

CONVERSATION_TRIGGER = {
    "conversation_id": "conv-sample",
    "channel": "webchat",
    "text": "Where is my order?",
    "intent": "order_status",
    "sentiment": "negative",
}

TEMPLATES: dict[str, dict[str, Any]] = {
    "lead_lifecycle": {
        "name": "Lead lifecycle",
        "entity_type": "lead",
        "definition": LEAD,
        "description": "Scores and analyses a new lead, then calls it today or nurtures it.",
        "sample": {
            "responses": {"analyze": {"priority": "high", "suggestedActions": ["Call today"]}}
        },
    },
    "customer_onboarding": {
        "name": "Customer onboarding",
        "entity_type": "customer",
        "definition": ONBOARDING,
        "description": "Welcomes a new customer, checks in a day later, calls if no answer.",
        "sample": {"events": {"reply": {"text": "All good, thanks!"}}},
    },
    "opportunity_follow_up": {
        "name": "Opportunity follow-up",
        "entity_type": "opportunity",
        "definition": OPPORTUNITY,
        "description": "Prepares big deals in parallel, then chases them when they go quiet.",
        "sample": {"responses": {"log": {"status": 201, "body": {"id": "act-1"}}}},
    },
    "support_ticket_escalation": {
        "name": "Support ticket escalation",
        "entity_type": "ticket",
        "definition": TICKET,
        "description": "Hands unhappy or urgent customers to a human at once.",
        "sample": {"trigger": CONVERSATION_TRIGGER},
    },
    "quote_approval": {
        "name": "Quote approval",
        "entity_type": "quote",
        "definition": QUOTE,
        "description": "Big discounts need a manager's approval before the quote is issued.",
        "sample": {
            "approvals": {"approve": "approve"},
            "responses": {"issue": {"status": 200, "body": {"status": "issued"}}},
        },
    },
    "order_status_inquiry": {
        "name": "Order status inquiry",
        "entity_type": "order",
        "definition": ORDER_STATUS,
        "description": "Looks the order up and tells the customer where it is.",
        "sample": {
            "trigger": CONVERSATION_TRIGGER,
            "responses": {"lookup": {"status": 200, "body": {"status": "shipped"}}},
        },
    },
    "refund_request": {
        "name": "Refund request with approval",
        "entity_type": "order",
        "definition": REFUND,
        "description": "Refunds small orders at once; bigger ones after a manager approves.",
        "sample": {
            "trigger": CONVERSATION_TRIGGER,
            "approvals": {"approve": "approve"},
            "responses": {
                "order": {"status": 200, "body": {"amount": 120}},
                "refund": {"status": 200, "body": {"refunded": True}},
            },
        },
    },
    "csat_follow_up": {
        "name": "CSAT follow-up",
        "entity_type": "conversation",
        "definition": CSAT,
        "description": "Asks for a score after a conversation closes; follows up low scores.",
        "sample": {"trigger": CONVERSATION_TRIGGER, "events": {"reply": {"text": "2"}}},
    },
}
"""Every template by key."""


def sample_of(key: str) -> dict[str, Any]:
    """The simulator sample of template ``key``: its entity's sample input plus its own data."""
    template = TEMPLATES[key]
    return {"input": dict(SAMPLES[template["entity_type"]]), **template["sample"]}
