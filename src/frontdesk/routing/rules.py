"""Routing rules as the router uses them: compiled, in priority order, cached per tenant."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.routing.models import RoutingRule
from frontdesk.workflows.rules import RuleGroup


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A routing rule, ready to evaluate."""

    id: str
    name: str
    priority: int
    group: RuleGroup
    handler: str
    params: dict[str, Any]


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
