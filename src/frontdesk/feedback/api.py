"""Feedback routes: the ratings customers gave, and the CSAT report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import select

from frontdesk.core.auth import Principal
from frontdesk.core.clock import utcnow
from frontdesk.core.deps import SessionDep, require
from frontdesk.core.errors import BadRequest
from frontdesk.feedback import service
from frontdesk.feedback.models import Feedback

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])
Reader = Annotated[Principal, Depends(require("conversations:read"))]


class FeedbackPublic(BaseModel):
    """One rating."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    message_id: str
    channel: str
    score: int
    sentiment: float | None
    source: str
    comment: str
    created_at: datetime


class ChannelCsat(BaseModel):
    """Ratings of one channel."""

    count: int
    average: float


class Summary(BaseModel):
    """CSAT over a period."""

    since: datetime
    until: datetime
    count: int
    average: float | None
    csat: float | None
    distribution: dict[str, int]
    by_channel: dict[str, ChannelCsat]


@router.get("", response_model=list[FeedbackPublic])
async def list_feedback(
    session: SessionDep,
    principal: Reader,
    conversation_id: str | None = None,
    max_score: Annotated[int | None, Query(ge=1, le=5)] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Any]:
    """The latest ratings (``max_score=2``: the unhappy ones), within ``since``–``until``."""
    stmt = select(Feedback).where(Feedback.tenant_id == principal.tenant_id)
    if conversation_id:
        stmt = stmt.where(Feedback.conversation_id == conversation_id)
    if since is not None:
        stmt = stmt.where(Feedback.created_at >= since)
    if until is not None:
        stmt = stmt.where(Feedback.created_at < until)
    if max_score is not None:
        stmt = stmt.where(Feedback.score <= max_score)
    stmt = stmt.order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(limit)
    return list(await session.scalars(stmt))


@router.get("/summary", response_model=Summary)
async def summary(
    session: SessionDep,
    principal: Reader,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> dict[str, Any]:
    """CSAT (share of 4–5 ratings), mean and distribution (the last 30 days by default)."""
    until = until or utcnow()
    since = since or until - timedelta(days=30)
    if since >= until:
        raise BadRequest("since must be before until")
    return await service.summary(session, principal.tenant_id, since, until)
