"""Contacts: the customers, with one identity per channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Base, TenantMixin


class Contact(TenantMixin, Base):
    """A customer of a tenant."""

    __tablename__ = "contacts"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    vip: Mapped[bool] = mapped_column(default=False)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    merged_into_id: Mapped[str | None] = mapped_column(ForeignKey("contacts.id"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ContactIdentity(TenantMixin, Base):
    """How a contact is known on one channel type (phone number, chat id, web session…)."""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("tenant_id", "channel_type", "external_id"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    channel_type: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
