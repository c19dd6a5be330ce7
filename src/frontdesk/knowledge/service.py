"""FAQ entries: create, read, update, delete; the query log and its reports."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Integer, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.errors import NotFound
from frontdesk.knowledge.faq_index import FaqIndex, FaqMatch
from frontdesk.knowledge.models import FaqEntry, FaqQuery
from frontdesk.knowledge.schemas import FaqCreate, FaqHitRate, FaqUpdate, UnansweredQuestion


async def list_entries(
    session: AsyncSession,
    tenant_id: str,
    *,
    category: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[FaqEntry]:
    """A tenant's FAQ entries, highest priority first."""
    stmt = select(FaqEntry).where(FaqEntry.tenant_id == tenant_id)
    if category:
        stmt = stmt.where(FaqEntry.category == category)
    stmt = stmt.order_by(FaqEntry.priority.desc(), FaqEntry.id).limit(limit).offset(offset)
    return list((await session.scalars(stmt)).all())


async def get_entry(session: AsyncSession, tenant_id: str, entry_id: str) -> FaqEntry:
    """One entry of the tenant, or :class:`NotFound`."""
    entry = await session.scalar(
        select(FaqEntry).where(FaqEntry.tenant_id == tenant_id, FaqEntry.id == entry_id)
    )
    if entry is None:
        raise NotFound("No such FAQ entry")
    return entry


async def create_entry(
    session: AsyncSession, index: FaqIndex, tenant_id: str, data: FaqCreate
) -> FaqEntry:
    """Add an entry and commit."""
    entry = FaqEntry(tenant_id=tenant_id, **data.model_dump())
    session.add(entry)
    await session.commit()
    index.invalidate(tenant_id)
    return entry


async def update_entry(
    session: AsyncSession, index: FaqIndex, tenant_id: str, entry_id: str, data: FaqUpdate
) -> FaqEntry:
    """Apply the given fields and commit."""
    entry = await get_entry(session, tenant_id, entry_id)
    for key, value in data.model_dump(exclude_unset=True).items():
        setattr(entry, key, value)
    entry.version += 1
    await session.commit()
    index.invalidate(tenant_id)
    return entry


async def delete_entry(
    session: AsyncSession, index: FaqIndex, tenant_id: str, entry_id: str
) -> None:
    """Remove an entry and commit."""
    entry = await get_entry(session, tenant_id, entry_id)
    await session.delete(entry)
    await session.commit()
    index.invalidate(tenant_id)


def log_query(
    session: AsyncSession, tenant_id: str, text: str, match: FaqMatch | None, answered: bool
) -> None:
    """Record a customer question and how the FAQ did (in the caller's transaction)."""
    session.add(
        FaqQuery(
            tenant_id=tenant_id,
            text=text[:2000],
            entry_id=match.entry_id if match else None,
            score=round(match.score, 2) if match else 0.0,
            answered=answered,
        )
    )


async def hit_rate(session: AsyncSession, tenant_id: str, since: datetime, days: int) -> FaqHitRate:
    """Questions asked since ``since`` and the share the FAQ answered."""
    asked, answered = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(FaqQuery.answered.cast(Integer)), 0)).where(
                FaqQuery.tenant_id == tenant_id, FaqQuery.created_at >= since
            )
        )
    ).one()
    rate = answered / asked if asked else 0.0
    return FaqHitRate(days=days, asked=asked, answered=answered, hit_rate=round(rate, 4))


async def unanswered(
    session: AsyncSession, tenant_id: str, since: datetime, limit: int
) -> list[UnansweredQuestion]:
    """The questions the FAQ failed most often since ``since`` (case-insensitive), most first."""
    key = func.lower(FaqQuery.text)
    rows = (
        await session.execute(
            select(
                func.min(FaqQuery.text),
                func.count(),
                func.max(FaqQuery.score),
                func.max(FaqQuery.created_at),
            )
            .where(
                FaqQuery.tenant_id == tenant_id,
                FaqQuery.answered.is_(False),
                FaqQuery.created_at >= since,
            )
            .group_by(key)
            .order_by(func.count().desc(), func.max(FaqQuery.created_at).desc())
            .limit(limit)
        )
    ).all()
    return [
        UnansweredQuestion(text=text, count=count, best_score=score, last_asked=_utc(last))
        for text, count, score, last in rows
    ]


def _utc(value: datetime | str) -> datetime:
    from datetime import UTC

    if isinstance(value, str):  # SQLite returns aggregates of datetimes as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def since_days(now: datetime, days: int) -> datetime:
    """The start of a report period."""
    return now - timedelta(days=days)
