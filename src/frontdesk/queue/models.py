"""The durable job table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Base, IdMixin

UNFINISHED = ("waiting", "queued", "running")
"""The statuses of a job not done yet: the queue's backlog."""


class Job(IdMixin, Base):
    """A unit of work.

    ``status``: (waiting →) queued → running → done, or back to queued, or dead. A job with an
    ordering key waits until it is the earliest of its key and none of its key is queued or
    running (see :mod:`frontdesk.queue.gate`).
    """

    __tablename__ = "jobs"
    __table_args__ = (
        # The claim reads queued jobs in (priority desc, id) order and stops at its LIMIT.
        Index("ix_jobs_claim", "status", text("priority DESC"), "id"),
        # The gate's probes: "is a job of this key queued or running?", "the earliest waiting
        # job of this key", and the reaper's walk over the keys that have waiting jobs.
        Index("ix_jobs_ordering", "status", "ordering_key", "id"),
    )

    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True, default=None)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    ordering_key: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    lease_token: Mapped[str | None] = mapped_column(String(64), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    correlation_id: Mapped[str | None] = mapped_column(String(64), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
