"""Vault tables: credentials, their encrypted versions, decrypt tokens, references, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Base, TenantMixin

ACTIVE, REVOKED, ARCHIVED = "active", "revoked", "archived"


class Credential(TenantMixin, Base):
    """A named secret of one type; its value lives, encrypted, in its versions."""

    __tablename__ = "vault_credentials"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    custom_schema: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    masked: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    rotation_days: Mapped[int | None] = mapped_column(Integer, default=None)
    rotated_at: Mapped[datetime] = mapped_column(default=utcnow)
    expiry_alerted_at: Mapped[datetime | None] = mapped_column(default=None)
    rotation_reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CredentialVersion(TenantMixin, Base):
    """One value of a credential, AES-GCM encrypted and bound to tenant, credential and version."""

    __tablename__ = "vault_credential_versions"
    __table_args__ = (UniqueConstraint("credential_id", "version"),)

    credential_id: Mapped[str] = mapped_column(
        ForeignKey("vault_credentials.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500), default="")


class DecryptToken(TenantMixin, Base):
    """A single-use, short-lived right to read one credential's value, for one service."""

    __tablename__ = "vault_decrypt_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[str] = mapped_column(
        ForeignKey("vault_credentials.id", ondelete="CASCADE"), index=True
    )
    service: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class CredentialReference(TenantMixin, Base):
    """A channel, bot or workflow that uses a credential (usage counts and revocation flags)."""

    __tablename__ = "vault_references"
    __table_args__ = (UniqueConstraint("credential_id", "kind", "ref_id"),)

    credential_id: Mapped[str] = mapped_column(
        ForeignKey("vault_credentials.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[str] = mapped_column(String(100))
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    flagged_at: Mapped[datetime | None] = mapped_column(default=None)
    flag_reason: Mapped[str | None] = mapped_column(String(500), default=None)


class VaultAudit(TenantMixin, Base):
    """One vault access, append-only (a trigger refuses UPDATE and DELETE on both backends)."""

    __tablename__ = "vault_audit"
    __table_args__ = (
        Index("ix_vault_audit_tenant_at", "tenant_id", "at"),  # the log, newest first
        Index("ix_vault_audit_credential_action", "credential_id", "action", "at"),
    )

    tenant_id: Mapped[str] = mapped_column(String(36))  # indexed with ``at``, above

    credential_id: Mapped[str | None] = mapped_column(String(36), default=None)
    actor: Mapped[str] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(100), default=None)
    action: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)
