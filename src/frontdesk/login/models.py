"""Recovery codes: one-time second factors for a member who lost the authenticator."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, TenantMixin


class RecoveryCode(TenantMixin, Base):
    """One recovery code of a member: only its SHA-256 hash is kept; used once."""

    __tablename__ = "member_recovery_codes"
    __table_args__ = (UniqueConstraint("member_id", "code_hash"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(default=None)
