"""Routing rules as the router uses them: compiled, in priority order, cached per tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.cache import TTLCache
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
        self._rules: TTLCache[str, list[CompiledRule]] = TTLCache(ttl)

    async def rules(self, session: AsyncSession, tenant_id: str) -> list[CompiledRule]:
        """The tenant's enabled rules, lowest priority number first."""

        async def load() -> list[CompiledRule]:
            rows = await session.scalars(
                select(RoutingRule)
                .where(RoutingRule.tenant_id == tenant_id, RoutingRule.enabled.is_(True))
                .order_by(RoutingRule.priority, RoutingRule.created_at)
            )
            return [compile_rule(rule) for rule in rows]

        return await self._rules.load(tenant_id, load)

    def forget(self, tenant_id: str) -> None:
        """Drop the tenant's cached rules."""
        self._rules.forget(tenant_id)
