"""Dashboard figures from stored rows, and the tenant's recent domain events."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from frontdesk.channels.models import Channel
from frontdesk.conversations.models import Conversation, Message
from frontdesk.core.clock import utcnow
from frontdesk.core.outbox import OutboxEvent
from frontdesk.dashboard.schemas import Bucket, Latency, Stats, VolumePoint
from frontdesk.intake.models import RawMessage
from frontdesk.queue.models import UNFINISHED, Job

LATENCY_SAMPLE = 5000
_SQLITE_FORMAT = {"hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d 00:00:00"}


def _bucket(dialect: str, unit: Bucket, column: Any) -> Any:
    if dialect == "sqlite":
        return func.strftime(_SQLITE_FORMAT[unit], column)
    return func.to_char(func.date_trunc(unit, column), "YYYY-MM-DD HH24:MI:SS")


def percentile(sorted_values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ascending values, nearest rank; None when empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


async def _volume(
    session: AsyncSession, tenant_id: str, since: datetime, unit: Bucket
) -> list[VolumePoint]:
    dialect = session.get_bind().dialect.name
    bucket = _bucket(dialect, unit, Message.created_at).label("bucket")
    rows = await session.execute(
        select(bucket, Channel.type, Message.direction, func.count())
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .where(Message.tenant_id == tenant_id, Message.created_at >= since)
        .group_by(bucket, Channel.type, Message.direction)
        .order_by(bucket)
    )
    return [
        VolumePoint(
            bucket=datetime.fromisoformat(f"{b}+00:00"),
            channel=channel,
            direction=direction,
            count=count,
        )
        for b, channel, direction, count in rows.all()
    ]


async def _latency(session: AsyncSession, tenant_id: str, since: datetime) -> Latency:
    reply = aliased(Message)
    rows = await session.execute(
        select(RawMessage.created_at, reply.created_at)
        .join(RawMessage, RawMessage.id == reply.reply_to_id)
        .where(reply.tenant_id == tenant_id, reply.created_at >= since, reply.sender == "bot")
        .order_by(reply.created_at.desc())
        .limit(LATENCY_SAMPLE)
    )
    values = sorted(
        max(0.0, (answered - accepted).total_seconds() * 1000) for accepted, answered in rows.all()
    )
    return Latency(
        count=len(values),
        p50_ms=percentile(values, 0.5),
        p95_ms=percentile(values, 0.95),
        p99_ms=percentile(values, 0.99),
    )


async def _counts(
    session: AsyncSession,
    column: Any,
    tenant_column: Any,
    tenant_id: str,
) -> dict[str, int]:
    rows = await session.execute(
        select(column, func.count()).where(tenant_column == tenant_id).group_by(column)
    )
    return {str(key): int(count) for key, count in rows.all()}


async def stats(session: AsyncSession, tenant_id: str, hours: int, unit: Bucket) -> Stats:
    """The tenant's message volume, conversation states, jobs and reply latency."""
    since = utcnow() - timedelta(hours=hours)
    jobs = await _counts(session, Job.status, Job.tenant_id, tenant_id)
    return Stats(
        hours=hours,
        bucket=unit,
        volume=await _volume(session, tenant_id, since, unit),
        conversations=await _counts(
            session, Conversation.status, Conversation.tenant_id, tenant_id
        ),
        jobs=jobs,
        queue_depth=sum(jobs.get(status, 0) for status in UNFINISHED),
        dead_letters=jobs.get("dead", 0),
        latency=await _latency(session, tenant_id, since),
    )


async def recent_events(
    session: AsyncSession, tenant_id: str, since: datetime, limit: int = 200
) -> list[OutboxEvent]:
    """The tenant's domain events created at or after ``since``, oldest first."""
    return list(
        (
            await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.tenant_id == tenant_id, OutboxEvent.created_at >= since)
                .order_by(OutboxEvent.created_at, OutboxEvent.id)
                .limit(limit)
            )
        ).all()
    )
