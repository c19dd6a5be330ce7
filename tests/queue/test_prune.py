from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from frontdesk.core.clock import utcnow
from frontdesk.core.outbox import OutboxEvent, publish
from frontdesk.queue.base import NewJob
from frontdesk.queue.models import Job
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx


async def test_prune_drops_old_finished_work_only(runtime: Runtime, tenant: TenantCtx):
    async with runtime.db.tenant_tx(tenant.id) as session:
        for status in ("done", "done", "dead", "queued"):
            await runtime.queue.enqueue(
                session, NewJob(kind=f"prune.{status}", tenant_id=tenant.id)
            )
        await publish(session, tenant.id, "prune.event", {})
    old = utcnow() - timedelta(days=2)
    async with runtime.db.system_tx() as session:
        for status in ("done", "dead", "queued"):
            await session.execute(
                update(Job)
                .where(Job.kind == f"prune.{status}")
                .values(status=status, finished_at=old, run_at=utcnow() + timedelta(days=1))
            )
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.type == "prune.event").values(delivered_at=old)
        )

    assert await runtime.queue.prune(timedelta(hours=24)) == 2
    assert await runtime.outbox.prune(timedelta(hours=24)) >= 1
    async with runtime.db.system_session() as session:
        left = sorted(
            (await session.scalars(select(Job.status).where(Job.kind.like("prune.%")))).all()
        )
        events = (
            await session.scalars(select(OutboxEvent.id).where(OutboxEvent.type == "prune.event"))
        ).all()
    assert left == ["dead", "queued"]
    assert events == []
