"""Roles, permissions, API keys and the authenticated principal."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update

from frontdesk.core.cache import TTLCache
from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database
from frontdesk.core.errors import Unauthorized
from frontdesk.tenants.models import ApiKey, Tenant


class Role(StrEnum):
    """What a member or API key may do inside its tenant."""

    ADMIN = "admin"
    CONFIG_MANAGER = "config_manager"
    VIEWER = "viewer"
    DEVELOPER = "developer"
    AGENT = "agent"


READ = {
    "tenant:read",
    "faq:read",
    "contacts:read",
    "conversations:read",
    "queue:read",
    "llm:read",
    "nlu:read",
    "vault:read",
    "channels:read",
    "knowledge:read",
    "workflows:read",
    "routing:read",
    "assessments:read",
    "tasks:read",
    "reminders:read",
}
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(
        READ
        | {
            "tenant:write",
            "members:read",
            "members:write",
            "apikeys:read",
            "apikeys:write",
            "faq:write",
            "nlu:write",
            "knowledge:write",
            "contacts:write",
            "conversations:write",
            "queue:write",
            "llm:use",
            "llm:write",
            "vault:write",
            "vault:decrypt",
            "vault:audit",
            "channels:write",
            "workflows:write",
            "workflows:run",
            "workflows:approve",
            "routing:write",
            "assessments:write",
            "tasks:write",
            "reminders:write",
        }
    ),
    Role.CONFIG_MANAGER: frozenset(
        READ
        | {
            "faq:write",
            "nlu:write",
            "vault:write",
            "knowledge:write",
            "llm:use",
            "workflows:write",
            "workflows:run",
            "workflows:approve",
            "routing:write",
            "assessments:write",
        }
    ),
    Role.DEVELOPER: frozenset(READ | {"queue:write", "llm:use", "workflows:run"}),
    Role.VIEWER: frozenset(READ),
    Role.AGENT: frozenset(
        {
            "tenant:read",
            "faq:read",
            "knowledge:read",
            "contacts:read",
            "contacts:write",
            "conversations:read",
            "conversations:write",
            "nlu:read",
            "workflows:read",
            "workflows:approve",
            "assessments:read",
            "tasks:read",
            "tasks:write",
            "reminders:read",
            "reminders:write",
        }
    ),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the tenant is always taken from here, never from the request body."""

    tenant_id: str
    tenant_slug: str
    role: Role
    key_id: str
    member_id: str | None = None
    """Set when a member logged in to the console (then ``key_id`` is the session id)."""
    mfa: bool = False
    """True when this console login gave a second factor (never for API keys)."""

    def can(self, permission: str) -> bool:
        """True when this principal's role grants ``permission``."""
        return permission in PERMISSIONS[self.role]


def hash_secret(value: str) -> str:
    """SHA-256 hex digest (API keys and session tokens are high-entropy: no slow hash needed)."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """Return ``(key, prefix, hash)`` for a new API key ``fd_<prefix>_<secret>``."""
    prefix = secrets.token_hex(6)
    key = f"fd_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_secret(key)


class ApiKeyAuthenticator:
    """Resolves bearer API keys to principals, with a short cache keyed by the key's hash."""

    def __init__(self, db: Database, ttl: float) -> None:
        self._db = db
        self._cache: TTLCache[str, Principal] = TTLCache(ttl)

    def forget(self, key_id: str | None = None) -> None:
        """Drop cached principals (one key's, or all) after a revocation or role change."""
        if key_id is None:
            self._cache.clear()
        else:
            self._cache.forget_where(lambda _, principal: principal.key_id == key_id)

    async def authenticate(self, key: str) -> Principal:
        """Return the principal for ``key`` or raise :class:`Unauthorized`."""
        parts = key.split("_")
        if len(parts) < 3 or parts[0] != "fd":
            raise Unauthorized("Invalid API key")
        digest = hash_secret(key)
        return await self._cache.load(digest, lambda: self._load(parts[1], digest))

    async def _load(self, prefix: str, digest: str) -> Principal:
        async with self._db.system_session() as session:
            row = (
                await session.execute(
                    select(ApiKey, Tenant.slug)
                    .join(Tenant, Tenant.id == ApiKey.tenant_id)
                    .where(ApiKey.prefix == prefix)
                )
            ).first()
        if row is None:
            raise Unauthorized("Invalid API key")
        api_key, slug = row
        if not hmac.compare_digest(api_key.key_hash, digest) or api_key.revoked_at is not None:
            raise Unauthorized("Invalid API key")
        principal = Principal(api_key.tenant_id, slug, Role(api_key.role), api_key.id)
        # Recorded on cache misses only: precise to the cache TTL, and no write per request.
        async with self._db.system_tx() as session:
            await session.execute(
                update(ApiKey).where(ApiKey.id == api_key.id).values(last_used_at=utcnow())
            )
        return principal
