"""Small builders shared by the queue tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, text

import frontdesk.core.models  # noqa: F401  (every table in Base.metadata)
from frontdesk.core.clock import utcnow
from frontdesk.core.db import Base, Database, create_engine
from frontdesk.queue.base import ClaimedJob, NewJob
from frontdesk.queue.models import Job
from frontdesk.queue.sql import SqlQueue, jobs
from frontdesk.settings import Settings


async def fresh_database(settings: Settings) -> Database:
    """A new engine on the test database; on PostgreSQL (shared by all tests) emptied first."""
    db = Database(create_engine(settings))
    if db.dialect == "postgresql":
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with db.system_tx() as session:
            await session.execute(text(f"TRUNCATE {names} CASCADE"))
    return db


def make_queue(db: Database, **overrides: Any) -> SqlQueue:
    """A queue with a comfortable lease and tiny backoffs unless told otherwise."""
    options: dict[str, Any] = {
        "lease_seconds": 30.0,
        "max_attempts": 5,
        "backoff_base": 0.001,
        "backoff_max": 0.001,
    }
    options.update(overrides)
    return SqlQueue(db, **options)


async def enqueue(queue: SqlQueue, db: Database, *new_jobs: NewJob) -> list[str]:
    """Enqueue ``new_jobs`` in one committed transaction, in order; return their ids."""
    async with db.system_tx() as session:
        return [await queue.enqueue(session, job) for job in new_jobs]


async def job_row(db: Database, job_id: str) -> Job:
    async with db.system_session() as session:
        job = await session.get(Job, job_id)
    assert job is not None, f"job {job_id} does not exist"
    return job


async def all_jobs(db: Database) -> list[Job]:
    async with db.system_session() as session:
        return list((await session.scalars(select(Job).order_by(Job.id))).all())


async def claim_ids(queue: SqlQueue, worker: str = "w1", limit: int = 100) -> list[str]:
    return [job.id for job in await queue.claim(worker, limit)]


async def complete(queue: SqlQueue, db: Database, job: ClaimedJob) -> None:
    async with db.system_tx() as session:
        await queue.complete(session, job)


async def bury(
    db: Database,
    tenant_id: str | None,
    kind: str = "email.send",
    payload: dict[str, Any] | None = None,
    error: str = "RuntimeError: boom",
    attempts: int = 5,
) -> str:
    """Insert a dead job directly (no worker ever sees it as runnable)."""
    values = SqlQueue(db).row(NewJob(kind, payload or {}, tenant_id=tenant_id))
    values.update(
        status="dead",
        attempts=attempts,
        max_attempts=5,
        last_error=error,
        finished_at=utcnow(),
        run_at=utcnow() - timedelta(seconds=1),
    )
    async with db.system_tx() as session:
        await session.execute(jobs.insert().values(values))
    return str(values["id"])
