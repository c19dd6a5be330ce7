"""Customer feedback: one CSAT rating per row."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.db import Base, TenantMixin


class Feedback(TenantMixin, Base):
    """A customer's rating (CSAT 1–5) of a conversation, with the words that came with it."""

    __tablename__ = "feedback"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(Integer)
    sentiment: Mapped[float | None] = mapped_column(default=None)
    source: Mapped[str] = mapped_column(String(16))
    """``reaction`` (an emoji reaction), ``rating`` (a number, stars or an emoji) or ``text``."""
    comment: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_feedback_tenant_created", "tenant_id", "created_at"),)
