"""Channel lookups."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.channels.models import Channel
from frontdesk.core.errors import NotFound


async def channel_of_type(session: AsyncSession, tenant_id: str, type_: str) -> Channel:
    """The tenant's enabled channel of ``type_``, or :class:`NotFound`."""
    channel = await session.scalar(
        select(Channel)
        .where(Channel.tenant_id == tenant_id, Channel.type == type_, Channel.enabled.is_(True))
        .order_by(Channel.id)
        .limit(1)
    )
    if channel is None:
        raise NotFound(f"This tenant has no {type_} channel")
    return channel


async def ensure_channel(session: AsyncSession, tenant_id: str, type_: str, name: str) -> Channel:
    """The tenant's channel of ``type_``, created if missing (flushed, not committed)."""
    try:
        return await channel_of_type(session, tenant_id, type_)
    except NotFound:
        channel = Channel(tenant_id=tenant_id, type=type_, name=name, config={})
        session.add(channel)
        await session.flush()
        return channel
