"""Routing routes: rules (CRUD), the handlers they can name, decisions, analytics, a dry run."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from frontdesk.conversations.context import ConversationContext
from frontdesk.core.auth import Principal
from frontdesk.core.clock import utcnow
from frontdesk.core.deps import RuntimeDep, SessionDep, require
from frontdesk.core.errors import BadRequest
from frontdesk.handlers.base import Turn
from frontdesk.handlers.registry import HANDLERS
from frontdesk.routing import service
from frontdesk.routing.models import RoutingRule
from frontdesk.routing.router import route
from frontdesk.routing.schemas import (
    Analytics,
    AnalyticsRow,
    DecisionPublic,
    HandlerInfo,
    RuleIn,
    RulePatch,
    RulePublic,
    TestIn,
    TestOut,
)
from frontdesk.tenants.settings import tenant_preferences
from frontdesk.understanding.service import detects_language, understand

router = APIRouter(prefix="/api/v1/routing", tags=["routing"])
Reader = Annotated[Principal, Depends(require("routing:read"))]
Writer = Annotated[Principal, Depends(require("routing:write"))]


@router.get("/handlers", response_model=list[HandlerInfo])
async def list_handlers(principal: Reader) -> list[HandlerInfo]:
    """The handlers a rule can send messages to."""
    return [
        HandlerInfo(name=m.name, description=m.description, volunteers=m.wants is not None)
        for m in HANDLERS.values()
    ]


@router.get("/rules", response_model=list[RulePublic])
async def list_rules(session: SessionDep, principal: Reader) -> list[Any]:
    """The tenant's rules in the order they are tried."""
    rows = await session.scalars(
        select(RoutingRule)
        .where(RoutingRule.tenant_id == principal.tenant_id)
        .order_by(RoutingRule.priority, RoutingRule.created_at)
    )
    return list(rows)


@router.post("/rules", response_model=RulePublic, status_code=201)
async def create_rule(
    body: RuleIn, session: SessionDep, runtime: RuntimeDep, principal: Writer
) -> RoutingRule:
    """Add a rule."""
    values = body.model_dump()
    values["conditions"] = body.conditions.model_dump(mode="json", exclude_none=True)
    rule = RoutingRule(tenant_id=principal.tenant_id, **values)
    session.add(rule)
    await session.commit()
    runtime.routing.forget(principal.tenant_id)
    return rule


@router.get("/rules/{rule_id}", response_model=RulePublic)
async def get_rule(rule_id: str, session: SessionDep, principal: Reader) -> RoutingRule:
    """One rule."""
    return await service.get_rule(session, principal.tenant_id, rule_id)


@router.patch("/rules/{rule_id}", response_model=RulePublic)
async def update_rule(
    rule_id: str, body: RulePatch, session: SessionDep, runtime: RuntimeDep, principal: Writer
) -> RoutingRule:
    """Change a rule."""
    rule = await service.get_rule(session, principal.tenant_id, rule_id)
    changes = body.model_dump(exclude_unset=True)
    if body.conditions is not None:
        changes["conditions"] = body.conditions.model_dump(mode="json", exclude_none=True)
    for name, value in changes.items():
        if value is None:
            raise BadRequest(f"{name} cannot be null")
        setattr(rule, name, value)
    await session.commit()
    runtime.routing.forget(principal.tenant_id)
    return rule


@router.delete("/rules/{rule_id}", status_code=204)
async def delete_rule(
    rule_id: str, session: SessionDep, runtime: RuntimeDep, principal: Writer
) -> Response:
    """Remove a rule."""
    rule = await service.get_rule(session, principal.tenant_id, rule_id)
    await session.delete(rule)
    await session.commit()
    runtime.routing.forget(principal.tenant_id)
    return Response(status_code=204)


@router.get("/decisions", response_model=list[DecisionPublic])
async def list_decisions(
    session: SessionDep,
    principal: Reader,
    conversation_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Any]:
    """The latest routing decisions, optionally of one conversation ("why did the bot…")."""
    return await service.decisions(session, principal.tenant_id, conversation_id, limit)


@router.get("/analytics", response_model=Analytics)
async def analytics(
    session: SessionDep,
    principal: Reader,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Analytics:
    """How messages were routed over a period (the last 7 days by default)."""
    until = until or utcnow()
    since = since or until - timedelta(days=7)
    if since >= until:
        raise BadRequest("since must be before until")
    rows = await service.analytics(session, principal.tenant_id, since, until)
    total = sum(r["count"] for r in rows)
    escalated = sum(r["count"] for r in rows if r["handler"] == "handoff")
    return Analytics(
        since=since,
        until=until,
        total=total,
        escalated=escalated,
        escalation_rate=round(escalated / total, 4) if total else 0.0,
        rows=[AnalyticsRow(**r) for r in rows],
    )


@router.post("/test", response_model=TestOut)
async def test_route(
    body: TestIn, session: SessionDep, runtime: RuntimeDep, principal: Reader
) -> TestOut:
    """Where a first message with this text would go (nothing is sent or stored)."""
    tenant = await runtime.tenants.by_id(principal.tenant_id)
    prefs = tenant_preferences(tenant)
    detect = await detects_language(runtime, principal.tenant_id, prefs)  # before the session reads
    analysis = (
        await understand(
            runtime, session, principal.tenant_id, prefs, body.text, detect_language=detect
        )
    ).as_dict()
    context = ConversationContext()
    context.observe(body.text, analysis)
    turn = Turn(
        runtime,
        session,
        principal.tenant_id,
        body.channel,
        body.text,
        "text",
        analysis,
        prefs,
        context,
    )
    decision = route(turn, await runtime.routing.rules(session, principal.tenant_id))
    if decision is None:
        return TestOut(
            handler=None,
            reason=None,
            rule_id=None,
            explanation=None,
            fallbacks=[],
            analysis=analysis,
        )
    return TestOut(
        handler=decision.handler,
        reason=decision.reason,
        rule_id=decision.rule_id,
        explanation=decision.explanation,
        fallbacks=list(decision.chain[1:]),
        analysis=analysis,
    )
