"""Recording feedback and reporting CSAT."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.outbox import publish
from frontdesk.feedback.models import Feedback


async def record(session: AsyncSession, feedback: Feedback) -> None:
    """Keep a rating and publish ``feedback.received`` (same transaction)."""
    session.add(feedback)
    await publish(
        session,
        feedback.tenant_id,
        "feedback.received",
        {
            "conversation_id": feedback.conversation_id,
            "message_id": feedback.message_id,
            "score": feedback.score,
            "source": feedback.source,
            "channel": feedback.channel,
        },
    )


async def summary(
    session: AsyncSession, tenant_id: str, since: datetime, until: datetime
) -> dict[str, Any]:
    """CSAT over ``[since, until)``: count, mean, share of 4–5 ratings, distribution, by channel."""
    rows = (
        await session.execute(
            select(Feedback.channel, Feedback.score, func.count())
            .where(
                Feedback.tenant_id == tenant_id,
                Feedback.created_at >= since,
                Feedback.created_at < until,
            )
            .group_by(Feedback.channel, Feedback.score)
        )
    ).all()
    distribution = {str(score): 0 for score in range(1, 6)}
    channels: dict[str, list[int]] = {}
    for channel, score, count in rows:
        distribution[str(score)] += count
        channels.setdefault(channel, []).extend([score] * count)
    total = sum(distribution.values())
    satisfied = distribution["4"] + distribution["5"]
    mean = sum(int(s) * n for s, n in distribution.items()) / total if total else None
    return {
        "since": since,
        "until": until,
        "count": total,
        "average": round(mean, 3) if mean is not None else None,
        "csat": round(satisfied / total, 4) if total else None,
        "distribution": distribution,
        "by_channel": {
            channel: {"count": len(scores), "average": round(sum(scores) / len(scores), 3)}
            for channel, scores in sorted(channels.items())
        },
    }
