"""Intent training examples and trained model versions, per tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from frontdesk.core.db import Base, TenantMixin, UTCDateTime


class IntentExample(TenantMixin, Base):
    """One example utterance of an intent."""

    __tablename__ = "intent_examples"
    __table_args__ = (UniqueConstraint("tenant_id", "intent", "text"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    intent: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)


class IntentModel(TenantMixin, Base):
    """A trained classifier version: its evaluation report and, once ready, its weights."""

    __tablename__ = "intent_models"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="training")  # ready / failed
    active: Mapped[bool] = mapped_column(default=False)
    examples: Mapped[int] = mapped_column(Integer, default=0)
    intents: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    trained_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True), default=None)
    weights: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, default=None))
