"""Who may answer handed-over conversations, and whether anyone is there to do it now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.auth import Role
from frontdesk.routing.hours import within_hours
from frontdesk.tenants import service as tenants
from frontdesk.tenants.settings import TenantPreferences

ANSWERING_ROLES = (Role.AGENT.value, Role.ADMIN.value)
"""The roles whose members take handed-over conversations (and may be assigned one)."""


async def agent_available(
    session: AsyncSession, tenant_id: str, prefs: TenantPreferences, now: datetime | None = None
) -> bool:
    """Whether an agent can take a conversation now.

    Within the tenant's business hours (always, when it set none), at least one member of an
    answering role marked available.
    """
    if not within_hours(prefs.business_hours, prefs.timezone, now):
        return False
    return await tenants.anyone_available(session, tenant_id, ANSWERING_ROLES)
