"""Tenants, their members and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Base, IdMixin, TenantMixin


class Tenant(IdMixin, Base):
    """A company using Frontdesk; every other row belongs to one."""

    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    retention_days: Mapped[int] = mapped_column(Integer, default=365)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Member(TenantMixin, Base):
    """A person of a tenant, with one role."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    mfa_secret: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    """The confirmed TOTP secret, encrypted with the tenant's data key."""
    mfa_pending: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    """A TOTP secret set up but not yet confirmed with a code (encrypted)."""
    mfa_enabled_at: Mapped[datetime | None] = mapped_column(default=None)
    mfa_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """The last accepted TOTP time step: a code of this step or an older one is refused."""
    available: Mapped[bool] = mapped_column(default=True, server_default=true())
    """Available to answer handed-over conversations (until the member says they are away)."""

    @property
    def mfa_enabled(self) -> bool:
        """True when logging in takes a second factor."""
        return self.mfa_enabled_at is not None


class MemberSession(TenantMixin, Base):
    """A console login: only the cookie token's SHA-256 hash is kept."""

    __tablename__ = "member_sessions"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    expires_at: Mapped[datetime] = mapped_column()
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    mfa_at: Mapped[datetime | None] = mapped_column(default=None)
    """When this login gave a second factor (null for a password-only login)."""


class ApiKey(TenantMixin, Base):
    """A machine credential: only its prefix is kept in clear, the whole key as a SHA-256 hash."""

    __tablename__ = "api_keys"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
