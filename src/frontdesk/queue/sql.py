"""The embedded queue: jobs live in the application's SQL database.

Enqueueing joins the caller's transaction, so a message and the job that processes it commit
together. Jobs of one ordering key take turns through :mod:`frontdesk.queue.gate`: a keyed job
waits (``waiting``) until its key has no queued or running job. Claiming is then one statement
over ``queued`` rows in index order: an ``UPDATE … WHERE id IN (SELECT … LIMIT n)`` that is
atomic on SQLite (one writer at a time) and uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
concurrent workers never take the same job and never wait on each other's rows.
"""

from __future__ import annotations

import secrets
import time
import traceback
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.clock import utcnow
from frontdesk.core.db import STAGED, Database
from frontdesk.core.errors import Conflict, NotFound
from frontdesk.core.ids import new_id
from frontdesk.core.logging import correlation_id, get_logger
from frontdesk.queue.base import (
    ClaimedJob,
    Deferred,
    LeaseLost,
    NewJob,
    PermanentJobError,
    RetryLater,
    backoff_seconds,
)
from frontdesk.queue.gate import promote_now, stuck_keys, touch
from frontdesk.queue.models import Job

jobs = cast(Table, Job.__table__)
log = get_logger("frontdesk.queue")
REPAIR_SECONDS = 30.0
"""How often the reaper also looks for stuck ordering keys (see :meth:`SqlQueue.repair`)."""


class SqlQueue:
    """:class:`~frontdesk.queue.base.Queue` on SQLite or PostgreSQL."""

    def __init__(
        self,
        db: Database,
        *,
        lease_seconds: float = 30.0,
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        backoff_max: float = 300.0,
    ) -> None:
        self._db = db
        self._lease = timedelta(seconds=lease_seconds)
        self._max_attempts = max_attempts
        self._backoff = (backoff_base, backoff_max)
        self._reap_every = min(1.0, lease_seconds / 4)
        self._last_reap = 0.0
        self._last_repair = 0.0
        self.repaired = 0
        """Keys the reaper found stuck (waiting jobs, nothing queued or running) and promoted."""

    def row(self, job: NewJob) -> dict[str, Any]:
        """The column values for inserting ``job`` (used by batch writers too).

        A keyed job starts ``waiting``: whoever inserts the row must :func:`touch` its key in
        the same transaction (the group commit does, through :meth:`inserted`).
        """
        now = utcnow()
        return {
            "id": new_id(),
            "created_at": now,
            "tenant_id": job.tenant_id,
            "kind": job.kind,
            "payload": job.payload,
            "priority": job.priority,
            "ordering_key": job.ordering_key,
            "status": "waiting" if job.ordering_key else "queued",
            "attempts": 0,
            "max_attempts": job.max_attempts or self._max_attempts,
            "run_at": job.run_at or now,
            "correlation_id": correlation_id.get(),
        }

    async def enqueue(self, session: AsyncSession, job: NewJob) -> str:
        """Add ``job`` inside the caller's transaction (or its staging); return its id."""
        values = self.row(job)
        staged = session.info.get(STAGED)
        if staged is not None:
            staged.rows.append((jobs, values))
        else:
            await session.execute(jobs.insert().values(values))
            touch(session, [job.ordering_key])
        return str(values["id"])

    def inserted(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        """Job ``rows`` were just inserted in ``session`` (group commit): gate their keys."""
        touch(session, (row["ordering_key"] for row in rows if row["status"] == "waiting"))

    async def reap(self) -> int:
        """Put jobs whose lease expired (their worker died) back in the queue, right away.

        The attempt they used stays counted, so a job that kills its worker every time ends
        as a dead letter instead of looping. A reaped job keeps its key's turn. Every
        ``REPAIR_SECONDS`` it also runs :meth:`repair`.
        """
        now = utcnow()
        async with self._db.system_tx() as session:
            result = await session.execute(
                update(jobs)
                .where(jobs.c.status == "running", jobs.c.lease_until < now)
                .values(status="queued", lease_until=None, lease_token=None, run_at=now)
            )
        self._last_reap = time.monotonic()
        if self._last_reap - self._last_repair > REPAIR_SECONDS:
            await self.repair()
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def repair(self) -> int:
        """Promote the head of every key left with waiting jobs but nothing queued or running.

        A safety net (rows edited by hand, a gate bypassed), logged when it catches anything.
        The scan reads outside the write lock (it walks every key that has waiting jobs); the
        promote re-checks each key under it.
        """
        self._last_repair = time.monotonic()
        async with self._db.system_session() as session:
            stuck = await stuck_keys(session)
        if not stuck:
            return 0
        async with self._db.system_tx() as session:
            touch(session, stuck)
        self.repaired += len(stuck)
        log.warning("queue_keys_repaired", keys=len(stuck))
        return len(stuck)

    async def claim(self, worker_id: str, limit: int) -> list[ClaimedJob]:
        """Lease up to ``limit`` due ``queued`` jobs (each the head of its key, if it has one)."""
        if time.monotonic() - self._last_reap > self._reap_every:
            await self.reap()
        now = utcnow()
        token = f"{worker_id}:{secrets.token_hex(8)}"
        params = {"now": now, "limit": limit, "until": now + self._lease, "token": token}
        async with self._db.system_tx(inline=True) as session:
            rows = (await session.execute(_CLAIM, params)).all()
        claimed = [
            ClaimedJob(
                r.id,
                r.kind,
                r.payload,
                r.tenant_id,
                r.ordering_key,
                r.attempts,
                r.max_attempts,
                token,
                r.correlation_id,
            )
            for r in rows
        ]
        runnable = []
        for job in claimed:
            if job.attempts > job.max_attempts:
                # Its worker died mid-run on every attempt: a poison job, not a transient fault.
                await self.fail(job, PermanentJobError("lease expired on every attempt"))
            else:
                runnable.append(job)
        return sorted(runnable, key=lambda j: j.id)

    async def complete(self, session: AsyncSession, job: ClaimedJob) -> None:
        """Mark ``job`` done inside the handler's transaction, or raise :class:`LeaseLost`.

        The next job of its key is queued when that transaction commits.
        """
        await self._db.begin_write(session, inline=True)
        result = await session.execute(
            _COMPLETE,
            {"job_id": job.id, "token": job.lease_token, "now": utcnow()},
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise LeaseLost(f"job {job.id} is no longer leased to this worker")
        touch(session, [job.ordering_key])

    async def fail(self, job: ClaimedJob, error: BaseException) -> str:
        """Back to the queue after a jittered exponential backoff, or dead after the last try.

        A retried job keeps its key's turn; a dead one hands it on. Returns the new status, or
        ``lost`` when the lease had passed to another worker.
        """
        message = "".join(traceback.format_exception_only(error)).strip()[:4000]
        deferred = isinstance(error, Deferred)
        dead = not deferred and (
            isinstance(error, PermanentJobError) or job.attempts >= job.max_attempts
        )
        now = utcnow()
        values: dict[str, Any] = {"lease_until": None, "lease_token": None}
        if deferred:  # held back, not failed: the attempt is given back, the last error kept
            values["attempts"] = jobs.c.attempts - 1
        else:
            values["last_error"] = message
        if dead:
            values.update(status="dead", finished_at=now)
        else:
            delay = (
                error.delay
                if isinstance(error, RetryLater)
                else backoff_seconds(job.attempts, *self._backoff)
            )
            values.update(status="queued", run_at=now + timedelta(seconds=delay))
        async with self._db.system_tx() as session:
            result = await session.execute(update(jobs).where(*_leased(job)).values(values))
            if dead:
                touch(session, [job.ordering_key])
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return "lost"
        return "dead" if dead else "queued"

    async def extend(self, jobs_: list[ClaimedJob]) -> set[str]:
        """Push the leases of jobs still held further out, in one statement.

        Returns the ids whose lease was still ours (the others passed to another worker).
        """
        if not jobs_:
            return set()
        async with self._db.system_tx() as session:
            rows = await session.execute(
                update(jobs)
                .where(
                    jobs.c.id.in_([job.id for job in jobs_]),
                    jobs.c.lease_token.in_({job.lease_token for job in jobs_}),
                    jobs.c.status == "running",
                )
                .values(lease_until=utcnow() + self._lease)
                .returning(jobs.c.id, jobs.c.lease_token)
            )
            held = {(row.id, row.lease_token) for row in rows}
        return {job.id for job in jobs_ if (job.id, job.lease_token) in held}

    async def release(self, jobs_: list[ClaimedJob]) -> None:
        """Give unfinished jobs back at once, without counting the attempt (keeping their turn)."""
        async with self._db.system_tx() as session:
            for job in jobs_:
                await session.execute(
                    update(jobs)
                    .where(*_leased(job))
                    .values(
                        status="queued",
                        attempts=jobs.c.attempts - 1,
                        lease_until=None,
                        lease_token=None,
                        run_at=utcnow(),
                    )
                )

    async def prune(self, older_than: timedelta) -> int:
        """Delete jobs that finished successfully more than ``older_than`` ago."""
        async with self._db.system_tx() as session:
            result = await session.execute(
                delete(jobs).where(
                    jobs.c.status == "done", jobs.c.finished_at < utcnow() - older_than
                )
            )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def depth(self) -> dict[str, int]:
        """Number of jobs per status (done jobs excluded)."""
        async with self._db.system_session() as session:
            rows = (
                await session.execute(
                    select(Job.status, func.count())
                    .where(Job.status != "done")
                    .group_by(Job.status)
                )
            ).all()
        counts = {"waiting": 0, "queued": 0, "running": 0, "dead": 0}
        counts.update({status: n for status, n in rows})
        return counts


_CANDIDATES = (
    select(Job.id)
    .where(Job.status == "queued", Job.run_at <= bindparam("now"))
    .order_by(Job.priority.desc(), Job.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
    # Materialised: PostgreSQL would otherwise re-run the LIMIT subquery for every row of a
    # semi-join, and SKIP LOCKED makes each run return different rows.
    .cte("candidates")
    .prefix_with("MATERIALIZED", dialect="postgresql")
)
_CLAIM = (
    update(jobs)
    .where(jobs.c.id.in_(select(_CANDIDATES.c.id)))
    .values(
        status="running",
        attempts=jobs.c.attempts + 1,
        lease_until=bindparam("until"),
        lease_token=bindparam("token"),
    )
    .returning(
        jobs.c.id,
        jobs.c.kind,
        jobs.c.payload,
        jobs.c.tenant_id,
        jobs.c.ordering_key,
        jobs.c.attempts,
        jobs.c.max_attempts,
        jobs.c.correlation_id,
    )
)
_COMPLETE = (
    update(jobs)
    .where(
        jobs.c.id == bindparam("job_id"),
        jobs.c.lease_token == bindparam("token"),
        jobs.c.status == "running",
    )
    .values(status="done", finished_at=bindparam("now"), lease_until=None, lease_token=None)
)


def _leased(job: ClaimedJob) -> tuple[Any, ...]:
    """The row of ``job`` while it still runs under this claim's lease token."""
    return (
        jobs.c.id == job.id,
        jobs.c.lease_token == job.lease_token,
        jobs.c.status == "running",
    )


class DeadLetters:
    """Inspect, replay and discard dead jobs; scoped to a tenant, or system-wide (CLI)."""

    def __init__(self, session: AsyncSession, tenant_id: str | None) -> None:
        self._session = session
        self._tenant_id = tenant_id

    def _scope(self, stmt: Any) -> Any:
        stmt = stmt.where(Job.status == "dead")
        return stmt if self._tenant_id is None else stmt.where(Job.tenant_id == self._tenant_id)

    async def list(self, limit: int = 50, offset: int = 0, kind: str | None = None) -> list[Job]:
        """Dead jobs, newest first."""
        stmt = self._scope(select(Job)).order_by(Job.id.desc()).limit(limit).offset(offset)
        if kind:
            stmt = stmt.where(Job.kind == kind)
        return list((await self._session.scalars(stmt)).all())

    async def get(self, job_id: str) -> Job:
        """One dead job, or :class:`NotFound`."""
        job: Job | None = await self._session.scalar(
            self._scope(select(Job)).where(Job.id == job_id)
        )
        if job is None:
            raise NotFound("No such dead letter")
        return job

    async def replay(self, job_id: str) -> Job:
        """Queue a dead job again with a fresh attempt budget.

        A keyed job waits its turn: after whatever of its key is active now and, being older,
        before the key's later jobs.
        """
        job = await self.get(job_id)
        result = await self._session.execute(
            update(jobs)
            .where(jobs.c.id == job.id, jobs.c.status == "dead")
            .values(
                status="waiting" if job.ordering_key else "queued",
                attempts=0,
                run_at=utcnow(),
                finished_at=None,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("The job changed meanwhile")
        if job.ordering_key:
            await promote_now(self._session, [job.ordering_key])
        await self._session.refresh(job)
        return job

    async def discard(self, job_id: str) -> None:
        """Delete a dead job for good."""
        job = await self.get(job_id)
        await self._session.execute(
            delete(jobs).where(jobs.c.id == job.id, jobs.c.status == "dead")
        )
        touch(self._session, [job.ordering_key])
