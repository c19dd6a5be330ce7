"""FAQ entries: create, read, update, delete, and test a question against them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.errors import NotFound
from frontdesk.knowledge.faq_index import FaqIndex
from frontdesk.knowledge.models import FaqEntry
from frontdesk.knowledge.schemas import FaqCreate, FaqUpdate


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
