"""Tenant lookups through a short-TTL cache, invalidated when a tenant changes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from frontdesk.core.db import Database
from frontdesk.core.errors import NotFound
from frontdesk.tenants.models import Tenant


@dataclass(frozen=True)
class TenantInfo:
    """A read-only snapshot of a tenant's identity and settings."""

    id: str
    slug: str
    name: str
    retention_days: int
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, tenant: Tenant) -> TenantInfo:
        """Snapshot a tenant row."""
        return cls(
            tenant.id, tenant.slug, tenant.name, tenant.retention_days, dict(tenant.settings)
        )


class TenantCache:
    """Caches :class:`TenantInfo` by slug and id for ``ttl`` seconds."""

    def __init__(self, db: Database, ttl: float) -> None:
        self._db = db
        self._ttl = ttl
        self._by_slug: dict[str, tuple[float, TenantInfo]] = {}
        self._by_id: dict[str, tuple[float, TenantInfo]] = {}

    def invalidate(self, info: TenantInfo | None = None) -> None:
        """Forget one tenant, or every tenant."""
        if info is None:
            self._by_slug.clear()
            self._by_id.clear()
        else:
            self._by_slug.pop(info.slug, None)
            self._by_id.pop(info.id, None)

    async def by_slug(self, slug: str) -> TenantInfo:
        """The tenant with this slug, or :class:`NotFound`."""
        hit = self._by_slug.get(slug)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        return await self._load(Tenant.slug == slug)

    async def by_id(self, tenant_id: str) -> TenantInfo:
        """The tenant with this id, or :class:`NotFound`."""
        hit = self._by_id.get(tenant_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        return await self._load(Tenant.id == tenant_id)

    async def _load(self, where: Any) -> TenantInfo:
        async with self._db.system_session() as session:
            tenant = await session.scalar(select(Tenant).where(where))
        if tenant is None:
            raise NotFound("Unknown tenant")
        info = TenantInfo.of(tenant)
        expires = time.monotonic() + self._ttl
        self._by_slug[info.slug] = self._by_id[info.id] = (expires, info)
        return info
