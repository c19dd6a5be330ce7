"""Routing rules (CRUD, cached per tenant), the record of decisions, and routing analytics."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.errors import NotFound
from frontdesk.routing.models import RoutingDecision, RoutingRule
from frontdesk.routing.router import CompiledRule, Decision
from frontdesk.workflows.rules import RuleGroup


class RuleCache:
    """Each tenant's enabled rules, compiled and in priority order, for ``ttl`` seconds.

    A change through this process's API forgets the tenant at once; other processes see it
    within ``ttl``.
    """

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._rules: dict[str, tuple[float, list[CompiledRule]]] = {}

    async def rules(self, session: AsyncSession, tenant_id: str) -> list[CompiledRule]:
        """The tenant's enabled rules, lowest priority number first."""
        hit = self._rules.get(tenant_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        rows = await session.scalars(
            select(RoutingRule)
            .where(RoutingRule.tenant_id == tenant_id, RoutingRule.enabled.is_(True))
            .order_by(RoutingRule.priority, RoutingRule.created_at)
        )
        compiled = [compile_rule(rule) for rule in rows]
        self._rules[tenant_id] = (time.monotonic() + self._ttl, compiled)
        return compiled

    def forget(self, tenant_id: str) -> None:
        """Drop the tenant's cached rules."""
        self._rules.pop(tenant_id, None)


def compile_rule(rule: RoutingRule) -> CompiledRule:
    """The rule with its conditions parsed."""
    return CompiledRule(
        rule.id,
        rule.name,
        rule.priority,
        RuleGroup.model_validate(rule.conditions),
        rule.handler,
        dict(rule.params),
    )


def record(
    session: AsyncSession,
    tenant_id: str,
    conversation_id: str,
    message_id: str,
    decision: Decision,
    handler: str,
    answered: bool,
) -> None:
    """Keep the decision (flushed with the message it is about)."""
    details: dict[str, Any] = {}
    if decision.explanation:
        details["explanation"] = decision.explanation
    if handler != decision.handler:
        details["chosen"] = decision.handler
    session.add(
        RoutingDecision(
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            message_id=message_id,
            handler=handler,
            reason=decision.reason if handler == decision.handler else "fallback",
            rule_id=decision.rule_id,
            answered=answered,
            details=details,
        )
    )


async def get_rule(session: AsyncSession, tenant_id: str, rule_id: str) -> RoutingRule:
    """One of the tenant's rules, or :class:`NotFound`."""
    rule = await session.get(RoutingRule, rule_id)
    if rule is None or rule.tenant_id != tenant_id:
        raise NotFound("Unknown routing rule")
    return rule


async def analytics(
    session: AsyncSession, tenant_id: str, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Decisions per handler and reason in ``[since, until)``, with how many were answered."""
    rows = await session.execute(
        select(
            RoutingDecision.handler,
            RoutingDecision.reason,
            func.count(),
            func.sum(case((RoutingDecision.answered.is_(True), 1), else_=0)),
        )
        .where(
            RoutingDecision.tenant_id == tenant_id,
            RoutingDecision.created_at >= since,
            RoutingDecision.created_at < until,
        )
        .group_by(RoutingDecision.handler, RoutingDecision.reason)
        .order_by(func.count().desc())
    )
    return [
        {"handler": handler, "reason": reason, "count": count, "answered": int(answered or 0)}
        for handler, reason, count, answered in rows
    ]
