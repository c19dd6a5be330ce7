"""Tables of the LLM gateway: tenant settings, usage, spend per month, breakers, cache."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
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

# Costs are stored as integer pico-dollars (1e-12 USD): exact for every per-token price.
PICO = 10**12


class LLMSettings(TenantMixin, Base):
    """One row per tenant: providers (keys encrypted), preference, budget, cap, tone."""

    __tablename__ = "llm_settings"

    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), unique=True, index=True
    )
    providers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    keys_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    preference: Mapped[str] = mapped_column(String(16), default="balanced")
    monthly_budget_pusd: Mapped[int | None] = mapped_column(BigInteger, default=None)
    budget_action: Mapped[str] = mapped_column(String(16), default="block")
    max_tokens_cap: Mapped[int | None] = mapped_column(Integer, default=None)
    tone: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LLMUsage(TenantMixin, Base):
    """One LLM call (or cache hit) with its tokens, cost and latency."""

    __tablename__ = "llm_usage"
    __table_args__ = (Index("ix_llm_usage_tenant_time", "tenant_id", "created_at"),)

    service: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200))
    tokens_in: Mapped[int] = mapped_column(Integer)
    tokens_out: Mapped[int] = mapped_column(Integer)
    cost_pusd: Mapped[int] = mapped_column(BigInteger)
    latency_ms: Mapped[float] = mapped_column(Float)
    cache_hit: Mapped[bool] = mapped_column(default=False)


class LLMSpend(TenantMixin, Base):
    """A tenant's spend in one calendar month (UTC), and whether its alert went out."""

    __tablename__ = "llm_spend"
    __table_args__ = (UniqueConstraint("tenant_id", "month"),)

    month: Mapped[str] = mapped_column(String(7))
    cost_pusd: Mapped[int] = mapped_column(BigInteger, default=0)
    alerted: Mapped[bool] = mapped_column(default=False)


class LLMBreaker(TenantMixin, Base):
    """The circuit breaker of one provider of one tenant, shared by every process."""

    __tablename__ = "llm_breakers"
    __table_args__ = (UniqueConstraint("tenant_id", "provider"),)

    provider: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16), default="closed")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    open_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LLMCacheEntry(TenantMixin, Base):
    """A cached answer, found again by the similarity of its question."""

    __tablename__ = "llm_cache"
    __table_args__ = (Index("ix_llm_cache_tenant_scope", "tenant_id", "scope"),)

    scope: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    answer: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(40))
    tokens_in: Mapped[int] = mapped_column(Integer)
    tokens_out: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column()
