"""Tenant lookups through a short-TTL cache, invalidated when a tenant changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from frontdesk.core.cache import TTLCache
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
        self._by_slug: TTLCache[str, TenantInfo] = TTLCache(ttl)
        self._by_id: TTLCache[str, TenantInfo] = TTLCache(ttl)

    def invalidate(self, info: TenantInfo | None = None) -> None:
        """Forget one tenant, or every tenant."""
        if info is None:
            self._by_slug.clear()
            self._by_id.clear()
        else:
            self._by_slug.forget(info.slug)
            self._by_id.forget(info.id)

    async def by_slug(self, slug: str) -> TenantInfo:
        """The tenant with this slug, or :class:`NotFound`."""
        return self._by_slug.get(slug) or await self._load(Tenant.slug == slug)

    async def by_id(self, tenant_id: str) -> TenantInfo:
        """The tenant with this id, or :class:`NotFound`."""
        return self._by_id.get(tenant_id) or await self._load(Tenant.id == tenant_id)

    async def _load(self, where: Any) -> TenantInfo:
        by_slug, by_id = self._by_slug.generation(), self._by_id.generation()
        async with self._db.system_session() as session:
            tenant = await session.scalar(select(Tenant).where(where))
        if tenant is None:
            raise NotFound("Unknown tenant")
        info = TenantInfo.of(tenant)
        self._by_slug.put(info.slug, info, by_slug)
        self._by_id.put(info.id, info, by_id)
        return info
