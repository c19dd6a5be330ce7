"""A tenant's connected channels."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, TenantMixin


class Channel(TenantMixin, Base):
    """One connection to a messaging provider (or the web chat) for one tenant."""

    __tablename__ = "channels"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    credentials: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    vault_credentials: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    """Credential fields taken from the vault: name → ``{credential_id, field}``."""
    enabled: Mapped[bool] = mapped_column(default=True)


class ChannelMedia(TenantMixin, Base):
    """A file stored encrypted: a customer's (fetched from the provider) or a member's upload.

    An upload, made to be sent, has no channel and no inbound message.
    """

    __tablename__ = "channel_media"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str | None] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), default=None
    )
    raw_message_id: Mapped[str | None] = mapped_column(String(36), index=True, default=None)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    mime_type: Mapped[str | None] = mapped_column(String(100), default=None)
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    size: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    transform: Mapped[str | None] = mapped_column(String(16), default=None)
    """What was read from the file: ``ocr`` or ``transcript`` (see understanding.transforms)."""
    transform_status: Mapped[str | None] = mapped_column(String(16), default=None)
    """``done``, ``not_configured``, ``failed`` or ``skipped``; none until the file is read."""
    transform_error: Mapped[str | None] = mapped_column(String(500), default=None)
    extracted_text: Mapped[str | None] = mapped_column(Text, default=None)


class ChannelDelivery(TenantMixin, Base):
    """Which of our messages a provider message id stands for (receipts update its status)."""

    __tablename__ = "channel_deliveries"
    __table_args__ = (
        Index(
            "uq_channel_deliveries_provider",
            "tenant_id",
            "channel_id",
            "provider_message_id",
            unique=True,
        ),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    provider_message_id: Mapped[str] = mapped_column(String(200))
    message_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
