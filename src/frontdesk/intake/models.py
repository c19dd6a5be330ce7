"""The raw message log (the data lake) and web chat sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, TenantMixin


class RawMessage(TenantMixin, Base):
    """Exactly what a channel delivered, kept until ``retention_expiry``.

    The unique (tenant, channel, external id) index is what drops provider redeliveries.
    """

    __tablename__ = "raw_messages"
    __table_args__ = (
        Index("uq_raw_messages_external", "tenant_id", "channel_id", "external_id", unique=True),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id"))
    external_id: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    correlation_id: Mapped[str | None] = mapped_column(String(64), default=None)
    retention_expiry: Mapped[datetime]


class WebchatSession(TenantMixin, Base):
    """A visitor's web chat session; the bearer token is stored as a SHA-256 hash."""

    __tablename__ = "webchat_sessions"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id"))
    token_hash: Mapped[str] = mapped_column(String(64))
