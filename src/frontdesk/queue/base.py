"""The queue contract shared by every backend."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.errors import FrontdeskError


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job to enqueue. Jobs sharing an ``ordering_key`` run one at a time, in order."""

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    tenant_id: str | None = None
    priority: int = 0
    ordering_key: str | None = None
    max_attempts: int | None = None
    run_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """A job leased to one worker until its lease expires."""

    id: str
    kind: str
    payload: dict[str, Any]
    tenant_id: str | None
    ordering_key: str | None
    attempts: int
    max_attempts: int
    lease_token: str
    correlation_id: str | None


class PermanentJobError(FrontdeskError):
    """Raised by a handler when retrying cannot help: the job goes straight to dead letters."""

    code, title = "permanent_job_error", "Job failed permanently"


class RetryLater(FrontdeskError):
    """Raised by a handler that should run again after ``delay`` seconds (e.g. ``Retry-After``).

    The attempt still counts: after the last one the job goes to dead letters with this reason.
    """

    code, title = "retry_later", "Retry later"

    def __init__(self, detail: str, delay: float) -> None:
        super().__init__(detail)
        self.delay = max(0.0, delay)


class Deferred(RetryLater):
    """Raised by a handler held back rather than failed (e.g. send pacing).

    The job runs again after ``delay`` seconds and the attempt is given back, so waiting never
    ends in dead letters.
    """

    code, title = "deferred", "Deferred"


class LeaseLost(FrontdeskError):
    """The job's lease expired and another worker took it: this attempt must roll back."""

    code, title = "lease_lost", "Job lease lost"


def backoff_seconds(
    attempt: int, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, never above ``cap``."""
    delay = min(cap, base * 2.0 ** min(max(0, attempt - 1), 64))  # no float overflow
    jitter: float = (rng or random).uniform(0, delay / 2)
    return delay / 2 + jitter


class Queue(Protocol):
    """A durable job queue with leases, retries, ordering keys and dead letters.

    Handlers run inside a transaction that the worker opens; they must not call out of the
    process (HTTP, LLM) after their first write, and call ``Database.begin_write`` before it.
    """

    async def enqueue(self, session: AsyncSession, job: NewJob) -> str:
        """Add ``job`` inside the caller's transaction; return its id."""
        ...

    async def claim(self, worker_id: str, limit: int) -> list[ClaimedJob]:
        """Lease up to ``limit`` runnable jobs to ``worker_id``."""
        ...

    async def complete(self, session: AsyncSession, job: ClaimedJob) -> None:
        """Mark ``job`` done inside the handler's transaction, or raise :class:`LeaseLost`."""
        ...

    async def fail(self, job: ClaimedJob, error: BaseException) -> str:
        """Record a failed attempt: retry after a backoff, or dead.

        Returns the new status, or ``lost`` if the lease had passed to another worker.
        """
        ...

    async def extend(self, jobs: list[ClaimedJob]) -> set[str]:
        """Push the leases of jobs still held further out; return the ids still held."""
        ...

    async def release(self, jobs: list[ClaimedJob]) -> None:
        """Give unfinished jobs back without counting the attempt (graceful shutdown)."""
        ...
