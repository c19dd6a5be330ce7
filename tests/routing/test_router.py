"""The router's order of choices, on turns built by hand (no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest

from frontdesk.conversations.context import ConversationContext
from frontdesk.handlers.base import Turn
from frontdesk.routing.escalation import asks_for_human
from frontdesk.routing.hours import within_hours
from frontdesk.routing.router import fallback_reason, route
from frontdesk.routing.rules import CompiledRule
from frontdesk.routing.scope import scope
from frontdesk.tenants.settings import TenantPreferences
from frontdesk.workflows.rules import RuleGroup


def turn(
    text: str,
    *,
    intent: str | None = None,
    out_of_scope: bool = False,
    sentiment: float = 0.0,
    context: ConversationContext | None = None,
    kind: str = "text",
    prefs: dict[str, Any] | None = None,
) -> Turn:
    analysis = {
        "language": "en",
        "intent": {"name": intent, "confidence": 0.9, "out_of_scope": out_of_scope}
        if intent
        else None,
        "entities": [{"type": "order_id", "value": "ORD-123456"}] if "ORD-" in text else [],
        "sentiment": {"score": sentiment, "label": "negative" if sentiment < 0 else "neutral"},
    }
    ctx = context or ConversationContext()
    ctx.observe(text, analysis)
    return Turn(
        cast(Any, None),
        cast(Any, None),
        "tenant",
        "webchat",
        text,
        kind,
        analysis,
        TenantPreferences.model_validate(prefs or {}),
        ctx,
    )


def rule(handler: str, conditions: dict[str, Any], priority: int = 100, **params: Any):
    return CompiledRule(
        f"rule-{handler}-{priority}",
        f"to {handler}",
        priority,
        RuleGroup.model_validate(conditions),
        handler,
        params,
    )


def when(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"conditions": [{"field": field, "operator": operator, "value": value}]}


def test_a_question_goes_down_the_answer_chain() -> None:
    decision = route(turn("When will my order arrive?"), [])
    assert decision is not None
    assert (decision.handler, decision.reason) == ("faq", "default")
    assert decision.chain == ("faq", "knowledge", "handoff")


@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a human",
        "Can I speak with a real person please",
        "agent",
        "connect me to an operator",
        "Ich möchte mit einem Mitarbeiter sprechen",
        "je veux parler à un conseiller",
        "quiero hablar con una persona",
        "I need a human to call me back",
        "I want a real person",
    ],
)
def test_an_explicit_request_for_a_human_is_handed_over(text: str) -> None:
    assert asks_for_human(text)
    decision = route(turn(text), [rule("faq", when("text", "is_not_empty"))])
    assert decision is not None
    assert (decision.handler, decision.reason) == ("handoff", "asked_for_human")


@pytest.mark.parametrize(
    "text",
    [
        "What does a human resources team do?",
        "my agent number is 5",
        "operator fees?",
        "I need a personal loan",
        "Could you call me back tomorrow?",  # a tenant's rule may make it a task
    ],
)
def test_words_about_people_are_not_a_request_for_one(text: str) -> None:
    assert not asks_for_human(text)


def test_rules_are_tried_by_priority_and_explain_themselves() -> None:
    rules = [
        rule("workflow", when("intent", "equals", "refund"), priority=1, event="refund"),
        rule("handoff", when("entities.order_id", "is_not_empty"), priority=2),
    ]
    decision = route(turn("Refund ORD-123456 please", intent="refund"), rules)
    assert decision is not None
    assert (decision.handler, decision.reason, decision.rule_id) == (
        "workflow",
        "rule",
        "rule-workflow-1",
    )
    assert decision.params == {"event": "refund"}
    assert decision.explanation is not None and "intent" in decision.explanation

    decision = route(turn("Where is ORD-123456?", intent="tracking"), rules)
    assert decision is not None
    assert (decision.handler, decision.params["reason"]) == ("handoff", "rule")


def test_rules_read_contact_sentiment_and_business_hours() -> None:
    hours = {"mon": [("09:00", "17:00")]}
    closed = rule("handoff", when("business_hours", "equals", False))
    t = turn("hello there friend, question", prefs={"business_hours": hours, "timezone": "UTC"})
    monday_night = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert scope(t, monday_noon)["business_hours"] is True
    after_hours = route(t, [closed], now=monday_night)
    assert after_hours is not None and after_hours.handler == "handoff"
    in_hours = route(t, [closed], now=monday_noon)
    assert in_hours is not None and in_hours.handler == "faq"


def test_a_failing_rule_is_skipped_not_fatal() -> None:
    broken = rule("handoff", when("text", "greater", "{{ 1 / 0 }}"), priority=1)
    decision = route(turn("When will my order arrive?"), [broken])
    assert decision is not None and decision.handler == "faq"


def test_a_souring_conversation_is_handed_over() -> None:
    context = ConversationContext(sentiments=[-0.6, -0.7])
    decision = route(turn("This is useless", sentiment=-0.5, context=context), [])
    assert decision is not None
    assert decision.params["reason"] == "negative_sentiment"

    mixed = ConversationContext(sentiments=[0.6, 0.5])
    decision = route(turn("hmm not great", sentiment=-0.3, context=mixed), [])
    assert decision is not None and decision.handler == "faq"


def test_repeated_failures_are_handed_over() -> None:
    context = ConversationContext(failures=2)
    decision = route(turn("What about the other thing", context=context), [])
    assert decision is not None
    assert decision.params["reason"] == "repeated_failure"


def test_an_active_flow_keeps_the_conversation() -> None:
    context = ConversationContext()
    context.start_flow("feedback")
    decision = route(turn("pretty good", context=context), [])
    assert decision is not None
    assert (decision.handler, decision.reason) == ("feedback", "flow")
    assert decision.chain[-1] == "handoff"

    context.start_flow("no_such_handler")
    decision = route(turn("pretty good", context=context), [])
    assert decision is not None and decision.handler == "faq"


def test_volunteers_take_small_talk_and_ratings() -> None:
    greeting = route(turn("Hi there!"), [])
    assert greeting is not None and (greeting.handler, greeting.reason) == (
        "small_talk",
        "detected",
    )
    rating = route(turn("5/5"), [])
    assert rating is not None and rating.handler == "feedback"
    question = route(turn("hi, my card was stolen"), [])
    assert question is not None and question.handler == "faq"


def test_a_reaction_nobody_takes_gets_no_reply() -> None:
    t = turn("", kind="reaction")
    decision = route(t, [])
    assert decision is not None and decision.handler == "feedback"


def test_a_waiting_workflow_gets_the_message() -> None:
    decision = route(turn("yes please"), [], workflow_waiting=True)
    assert decision is not None
    assert (decision.handler, decision.params) == ("workflow", {"waiting": True})


def test_the_fallback_reason_names_low_confidence() -> None:
    assert fallback_reason(turn("blorp", intent="x", out_of_scope=True)) == "low_confidence"
    assert fallback_reason(turn("blorp", intent="x")) == "no_answer"


def test_business_hours_in_the_tenant_time_zone() -> None:
    hours = {"mon": [("09:00", "12:00"), ("13:00", "17:30")]}
    at = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # 09:30 in Berlin
    assert within_hours(hours, "Europe/Berlin", at)
    assert not within_hours(hours, "UTC", at)
    assert not within_hours(hours, "Europe/Berlin", datetime(2026, 11, 23, 11, 30, tzinfo=UTC))
    assert within_hours({}, "UTC", at)
    assert within_hours(hours, "Not/AZone", datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    "hours",
    [{"someday": [["09:00", "10:00"]]}, {"mon": [["17:00", "09:00"]]}, {"mon": [["9am", "5pm"]]}],
)
def test_bad_business_hours_are_refused(hours: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TenantPreferences.model_validate({"business_hours": hours})
