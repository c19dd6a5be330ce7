from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database
from frontdesk.core.outbox import OutboxDispatcher, OutboxEvent, publish
from frontdesk.queue.base import NewJob
from frontdesk.queue.models import Job
from tests.queue.helpers import make_queue


async def test_prune_drops_old_finished_work_only(db: Database):
    queue = make_queue(db)
    async with db.system_tx() as session:
        for status in ("done", "dead", "queued"):
            await queue.enqueue(session, NewJob(kind=f"prune.{status}"))
        await publish(session, None, "prune.old", {})
        await publish(session, None, "prune.new", {})
    old = utcnow() - timedelta(days=2)
    async with db.system_tx() as session:
        for status in ("done", "dead", "queued"):
            await session.execute(
                update(Job)
                .where(Job.kind == f"prune.{status}")
                .values(status=status, finished_at=old, run_at=utcnow() + timedelta(days=1))
            )
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.type == "prune.old").values(delivered_at=old)
        )
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.type == "prune.new").values(delivered_at=utcnow())
        )

    assert await queue.prune(timedelta(hours=24)) == 1
    assert await OutboxDispatcher(db).prune(timedelta(hours=24)) == 1
    async with db.system_session() as session:
        left = sorted((await session.scalars(select(Job.status))).all())
        events = (await session.scalars(select(OutboxEvent.type))).all()
    assert left == ["dead", "queued"]
    assert events == ["prune.new"]
