"""Tenants, members and API keys."""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.auth import Role, new_api_key
from frontdesk.core.clock import utcnow
from frontdesk.core.errors import Conflict, NotFound, ValidationFailed
from frontdesk.core.outbox import publish
from frontdesk.tenants.models import ApiKey, Member, Tenant
from frontdesk.tenants.schemas import SLUG, MemberCreate, TenantUpdate


async def create_tenant(
    session: AsyncSession, slug: str, name: str | None = None, retention_days: int = 365
) -> Tenant:
    """Create a tenant (in a system session) and commit."""
    if not re.match(SLUG, slug):
        raise ValidationFailed("A slug is 1–63 lower-case letters, digits and inner hyphens")
    tenant = Tenant(slug=slug, name=name or slug, settings={}, retention_days=retention_days)
    session.add(tenant)
    try:
        await session.flush()
    except IntegrityError as e:
        raise Conflict(f"Tenant {slug!r} already exists") from e
    await publish(session, tenant.id, "tenant.created", {"slug": slug})
    await session.commit()
    return tenant


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant:
    """The tenant with ``slug``, or :class:`NotFound`."""
    tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound(f"Unknown tenant {slug!r}")
    return tenant


async def get_tenant(session: AsyncSession, tenant_id: str) -> Tenant:
    """The tenant with ``tenant_id``, or :class:`NotFound`."""
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Unknown tenant")
    return tenant


async def update_tenant(session: AsyncSession, tenant_id: str, data: TenantUpdate) -> Tenant:
    """Apply a partial change to a tenant and commit."""
    tenant = await get_tenant(session, tenant_id)
    if data.name is not None:
        tenant.name = data.name
    if data.retention_days is not None:
        tenant.retention_days = data.retention_days
    if data.settings is not None:
        tenant.settings = data.settings.model_dump()
    await publish(
        session,
        tenant_id,
        "config.tenant_updated",
        {"fields": sorted(data.model_dump(exclude_unset=True))},
    )
    await session.commit()
    return tenant


async def create_api_key(
    session: AsyncSession, tenant_id: str, role: Role, name: str = ""
) -> tuple[ApiKey, str]:
    """Create an API key and commit; return the row and the key (shown only this once)."""
    key, prefix, digest = new_api_key()
    row = ApiKey(tenant_id=tenant_id, name=name, role=role.value, prefix=prefix, key_hash=digest)
    session.add(row)
    await session.commit()
    return row, key


async def list_api_keys(session: AsyncSession, tenant_id: str) -> list[ApiKey]:
    """A tenant's API keys (revoked ones included)."""
    return list(
        (
            await session.scalars(
                select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.id)
            )
        ).all()
    )


async def revoke_api_key(session: AsyncSession, tenant_id: str, key_id: str) -> ApiKey:
    """Revoke an API key and commit."""
    row = await session.scalar(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id)
    )
    if row is None:
        raise NotFound("No such API key")
    row.revoked_at = row.revoked_at or utcnow()
    await session.commit()
    return row


async def list_members(session: AsyncSession, tenant_id: str) -> list[Member]:
    """A tenant's members."""
    return list(
        (
            await session.scalars(
                select(Member).where(Member.tenant_id == tenant_id).order_by(Member.email)
            )
        ).all()
    )


async def create_member(session: AsyncSession, tenant_id: str, data: MemberCreate) -> Member:
    """Add a member and commit."""
    member = Member(
        tenant_id=tenant_id, email=str(data.email).lower(), name=data.name, role=data.role.value
    )
    session.add(member)
    try:
        await session.commit()
    except IntegrityError as e:
        raise Conflict("A member with this e-mail already exists") from e
    return member


async def get_member(session: AsyncSession, tenant_id: str, member_id: str) -> Member:
    """One member of the tenant, or :class:`NotFound`."""
    member = await session.scalar(
        select(Member).where(Member.tenant_id == tenant_id, Member.id == member_id)
    )
    if member is None:
        raise NotFound("No such member")
    return member


async def set_availability(
    session: AsyncSession, tenant_id: str, member_id: str, available: bool
) -> Member:
    """Mark a member available (or away) for handed-over conversations, and commit."""
    member = await get_member(session, tenant_id, member_id)
    member.available = available
    await session.commit()
    return member


async def anyone_available(session: AsyncSession, tenant_id: str, roles: Collection[str]) -> bool:
    """Whether at least one member of one of ``roles`` is marked available."""
    found = await session.scalar(
        select(Member.id)
        .where(
            Member.tenant_id == tenant_id,
            Member.available.is_(True),
            Member.role.in_(list(roles)),
        )
        .limit(1)
    )
    return found is not None


async def delete_member(session: AsyncSession, tenant_id: str, member_id: str) -> None:
    """Remove a member and commit."""
    member = await get_member(session, tenant_id, member_id)
    await session.delete(member)
    await session.commit()
