"""The router (PRODUCT.md R1, R2): which handler answers a message, and why.

In order: an explicit request for a human; a workflow waiting for the customer's reply; the
active multi-step flow (an assessment under way keeps the conversation); the tenant's routing
rules by priority; escalation on a souring sentiment trend or repeated failures; the handlers
that volunteer for the message (a reminder request, a rating, a greeting); then the answer
chain — FAQ, knowledge base, and a human when neither can answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from frontdesk.core.logging import get_logger
from frontdesk.handlers.base import Turn
from frontdesk.handlers.registry import HANDLERS
from frontdesk.routing import escalation
from frontdesk.routing.rules import CompiledRule
from frontdesk.routing.scope import scope
from frontdesk.workflows.rules import evaluate

log = get_logger("frontdesk.routing")

ANSWER_CHAIN = ("faq", "knowledge", "handoff")
"""Who answers a question nobody else took, in order."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The handler chosen, the reason, and who to try next when it cannot answer."""

    handler: str
    reason: str
    rule_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    fallbacks: tuple[str, ...] = ()
    explanation: str | None = None

    @property
    def chain(self) -> tuple[str, ...]:
        """The handler and its fallbacks, each once, unknown names left out."""
        names = dict.fromkeys((self.handler, *self.fallbacks))
        return tuple(name for name in names if name in HANDLERS)


def route(
    turn: Turn,
    rules: Sequence[CompiledRule],
    now: datetime | None = None,
    *,
    workflow_waiting: bool = False,
) -> Decision | None:
    """Choose the handler for ``turn``; None for a reaction no handler takes (no reply).

    ``workflow_waiting``: a workflow waits for this conversation's reply, so it gets the message.
    """
    prefs = turn.prefs
    if turn.text and escalation.asks_for_human(turn.text):
        return _handoff("asked_for_human")
    if workflow_waiting:
        return Decision("workflow", "workflow_waiting", params={"waiting": True})
    flow = turn.context.flow
    if flow is not None and flow.handler in HANDLERS:
        return Decision(flow.handler, "flow", fallbacks=ANSWER_CHAIN)
    if rules:
        chosen = _first_rule(rules, scope(turn, now))
        if chosen is not None:
            return chosen
    if escalation.souring(turn.context, prefs.escalation_sentiment):
        return _handoff("negative_sentiment")
    if turn.context.failures >= prefs.escalation_failures:
        return _handoff("repeated_failure")
    for member in HANDLERS.values():
        if member.wants is not None and _volunteers(member.wants, turn):
            return Decision(member.name, "detected", fallbacks=ANSWER_CHAIN)
    if turn.kind == "reaction":
        return None
    return Decision(ANSWER_CHAIN[0], "default", fallbacks=ANSWER_CHAIN[1:])


def fallback_reason(turn: Turn) -> str:
    """Why the answer chain gave up: the classifier was unsure, or nothing answered."""
    intent = (turn.analysis or {}).get("intent")
    if intent is not None and intent.get("out_of_scope"):
        return "low_confidence"
    return "no_answer"


def _handoff(reason: str) -> Decision:
    return Decision("handoff", reason, params={"reason": reason})


def _first_rule(rules: Sequence[CompiledRule], values: Mapping[str, Any]) -> Decision | None:
    for rule in rules:
        try:
            verdict = evaluate(rule.group, values)
        except Exception:
            log.warning("routing_rule_failed", rule_id=rule.id, exc_info=True)
            continue
        if verdict.matched:
            params = rule.params
            if rule.handler == "handoff":
                params = {"reason": "rule", **params}
            return Decision(
                rule.handler,
                "rule",
                rule.id,
                params,
                fallbacks=("handoff",),
                explanation=f"{rule.name}: {verdict.explanation}"[:1000],
            )
    return None


def _volunteers(wants: Any, turn: Turn) -> bool:
    try:
        return bool(wants(turn))
    except Exception:
        log.warning("handler_detection_failed", exc_info=True)
        return False
