"""Routing API shapes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from frontdesk.handlers.registry import HANDLERS
from frontdesk.workflows.rules import RuleGroup, check

SCOPE_FIELDS = (
    "text",
    "kind",
    "channel",
    "language",
    "intent",
    "intent_confidence",
    "out_of_scope",
    "sentiment",
    "entities",
    "contact",
    "conversation",
    "variables",
    "business_hours",
)
"""The names a rule's fields start with (see ``routing.router.scope``)."""
MAX_PARAMS_BYTES = 10_000


def _known_handler(name: str | None) -> str | None:
    if name is not None and name not in HANDLERS:
        raise ValueError(f"unknown handler {name!r}: use one of {', '.join(sorted(HANDLERS))}")
    return name


def _valid_conditions(conditions: RuleGroup | None) -> RuleGroup | None:
    problems = check(conditions) if conditions is not None else []
    if problems:
        raise ValueError("; ".join(problems[:5]))
    return conditions


def _small(params: dict[str, Any] | None) -> dict[str, Any] | None:
    if params is not None and len(json.dumps(params)) > MAX_PARAMS_BYTES:
        raise ValueError(f"params are larger than {MAX_PARAMS_BYTES} bytes as JSON")
    return params


class RuleIn(BaseModel):
    """A new routing rule."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    priority: int = Field(default=100, ge=0, le=1_000_000)
    enabled: bool = True
    conditions: RuleGroup
    handler: str = Field(min_length=1, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)

    _handler = field_validator("handler")(_known_handler)
    _conditions = field_validator("conditions")(_valid_conditions)
    _params = field_validator("params")(_small)


class RulePatch(BaseModel):
    """A change to a routing rule (fields left out stay as they are)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    priority: int | None = Field(default=None, ge=0, le=1_000_000)
    enabled: bool | None = None
    conditions: RuleGroup | None = None
    handler: str | None = Field(default=None, min_length=1, max_length=64)
    params: dict[str, Any] | None = None

    _handler = field_validator("handler")(_known_handler)
    _conditions = field_validator("conditions")(_valid_conditions)
    _params = field_validator("params")(_small)


class RulePublic(BaseModel):
    """A routing rule as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    priority: int
    enabled: bool
    conditions: dict[str, Any]
    handler: str
    params: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class DecisionPublic(BaseModel):
    """One routing decision."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    message_id: str
    handler: str
    reason: str
    rule_id: str | None
    answered: bool
    details: dict[str, Any]
    created_at: datetime


class AnalyticsRow(BaseModel):
    """Decisions of one handler for one reason."""

    handler: str
    reason: str
    count: int
    answered: int


class Analytics(BaseModel):
    """Routing over a period: totals, the escalation rate and the breakdown."""

    since: datetime
    until: datetime
    total: int
    escalated: int
    escalation_rate: float
    rows: list[AnalyticsRow]


class HandlerInfo(BaseModel):
    """A handler a rule can name."""

    name: str
    description: str
    volunteers: bool


class TestIn(BaseModel):
    """A message to route without sending anything."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)
    channel: str = Field(default="webchat", max_length=32)


class TestOut(BaseModel):
    """Where a message would go, and why."""

    handler: str | None
    reason: str | None
    rule_id: str | None
    explanation: str | None
    fallbacks: list[str]
    analysis: dict[str, Any] | None
