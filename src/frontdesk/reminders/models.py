"""The reminders table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Base, TenantMixin

SCHEDULED, SENT, CANCELLED, FAILED = "scheduled", "sent", "cancelled", "failed"
STATUSES = (SCHEDULED, SENT, CANCELLED, FAILED)


class Reminder(TenantMixin, Base):
    """Tell a conversation's customer ``text`` at ``due_at`` (UTC), on their own channel.

    ``job_id`` is the one ``reminder.due`` job allowed to fire it: moving or snoozing the
    reminder enqueues a new job and the earlier one, when it runs, finds it is stale.
    """

    __tablename__ = "reminders"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"))
    text: Mapped[str] = mapped_column(String(500))
    due_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[str] = mapped_column(String(16), default=SCHEDULED)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    snoozed_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64))
    """``customer`` (asked in the conversation), a member id, or ``api_key:<id>``."""
    job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    message_id: Mapped[str | None] = mapped_column(String(36), default=None)
    """The reminder's message in the conversation, once sent."""
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_reminders_tenant_status_due", "tenant_id", "status", "due_at"),)
