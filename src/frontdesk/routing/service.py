"""Routing rules' lookup, the record of decisions, and routing analytics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.errors import NotFound
from frontdesk.routing.models import RoutingDecision, RoutingRule
from frontdesk.routing.router import Decision


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


async def decisions(
    session: AsyncSession, tenant_id: str, conversation_id: str | None = None, limit: int = 100
) -> list[RoutingDecision]:
    """The latest routing decisions, newest first (of one conversation: why the bot did what)."""
    stmt = select(RoutingDecision).where(RoutingDecision.tenant_id == tenant_id)
    if conversation_id:
        stmt = stmt.where(RoutingDecision.conversation_id == conversation_id)
    stmt = stmt.order_by(RoutingDecision.created_at.desc(), RoutingDecision.id.desc())
    return list(await session.scalars(stmt.limit(limit)))


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
