"""The ordering-key gate: one queued-or-running job per key, the rest waiting their turn."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update
from structlog.testing import capture_logs

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database
from frontdesk.core.group_commit import GroupCommit
from frontdesk.queue.base import NewJob, PermanentJobError
from frontdesk.queue.sql import DeadLetters, jobs
from tests.queue.helpers import all_jobs, claim_ids, complete, enqueue, job_row, make_queue


async def statuses(db: Database) -> dict[str, str]:
    return {job.id: job.status for job in await all_jobs(db)}


class TestEnqueue:
    async def test_only_the_earliest_job_of_each_key_is_queued(self, db: Database):
        queue = make_queue(db)
        a1, b1, a2, free, b2, a3 = await enqueue(
            queue,
            db,
            NewJob("k", ordering_key="a"),
            NewJob("k", ordering_key="b"),
            NewJob("k", ordering_key="a"),
            NewJob("k"),
            NewJob("k", ordering_key="b"),
            NewJob("k", ordering_key="a"),
        )
        assert await statuses(db) == {
            a1: "queued",
            b1: "queued",
            free: "queued",
            a2: "waiting",
            b2: "waiting",
            a3: "waiting",
        }

    async def test_a_later_transaction_waits_behind_the_queued_head(self, db: Database):
        queue = make_queue(db)
        [a1] = await enqueue(queue, db, NewJob("k", ordering_key="a"))
        [a2] = await enqueue(queue, db, NewJob("k", ordering_key="a"))
        [running] = await queue.claim("w1", 10)
        [a3] = await enqueue(queue, db, NewJob("k", ordering_key="a"))
        assert running.id == a1
        assert await statuses(db) == {a1: "running", a2: "waiting", a3: "waiting"}

    async def test_rolled_back_enqueue_promotes_nothing(self, db: Database):
        queue = make_queue(db)
        async with db.system_session() as session:
            await queue.enqueue(session, NewJob("k", ordering_key="a"))
            await session.rollback()
        [a1] = await enqueue(queue, db, NewJob("k", ordering_key="a"))
        assert await statuses(db) == {a1: "queued"}

    async def test_in_a_tenant_session(self, db: Database):
        queue = make_queue(db)
        async with db.tenant_tx("tenant-a") as session:
            first = await queue.enqueue(
                session, NewJob("k", tenant_id="tenant-a", ordering_key="conv")
            )
            second = await queue.enqueue(
                session, NewJob("k", tenant_id="tenant-a", ordering_key="conv")
            )
        assert await statuses(db) == {first: "queued", second: "waiting"}
        [job] = await queue.claim("w1", 10)
        async with db.tenant_tx("tenant-a") as session:
            await queue.complete(session, job)
        assert await claim_ids(queue) == [second]

    async def test_a_delayed_head_holds_its_key_until_due(self, db: Database):
        queue = make_queue(db)
        later, after = await enqueue(
            queue,
            db,
            NewJob("k", ordering_key="a", run_at=utcnow() + timedelta(hours=1)),
            NewJob("k", ordering_key="a"),
        )
        assert await statuses(db) == {later: "queued", after: "waiting"}
        assert await claim_ids(queue) == []


class TestGroupCommit:
    async def test_one_batch_with_several_jobs_of_one_key_queues_exactly_one(self, db: Database):
        queue = make_queue(db)
        intake = GroupCommit(db, on_insert={jobs: queue.inserted})
        rows = [queue.row(NewJob("k", {"n": n}, ordering_key=f"conv-{n % 2}")) for n in range(6)]
        free = queue.row(NewJob("k"))
        # Concurrent callers share one transaction: the first commits alone, the rest together.
        await asyncio.gather(*[intake.insert([(jobs, row)]) for row in [*rows, free]])

        heads = {row["id"] for row in rows[:2]} | {free["id"]}
        assert await statuses(db) == {
            row["id"]: "queued" if row["id"] in heads else "waiting" for row in [*rows, free]
        }
        order = []
        while claimed := await queue.claim("w1", 10):
            for job in claimed:
                order.append(job.id)
                await complete(queue, db, job)
        assert [i for i in order if i in {r["id"] for r in rows[0::2]}] == [
            r["id"] for r in rows[0::2]
        ]
        assert [i for i in order if i in {r["id"] for r in rows[1::2]}] == [
            r["id"] for r in rows[1::2]
        ]

    async def test_several_rows_of_one_key_from_one_caller(self, db: Database):
        queue = make_queue(db)
        intake = GroupCommit(db, on_insert={jobs: queue.inserted})
        rows = [queue.row(NewJob("k", ordering_key="conv")) for _ in range(3)]
        await intake.insert([(jobs, row) for row in rows])
        assert list((await statuses(db)).values()) == ["queued", "waiting", "waiting"]


class TestTurns:
    async def test_completion_queues_the_next_job_of_the_key(self, db: Database):
        queue = make_queue(db)
        a1, a2, a3 = await enqueue(queue, db, *[NewJob("k", ordering_key="a")] * 3)
        [head] = await queue.claim("w1", 10)
        await complete(queue, db, head)
        assert await statuses(db) == {a1: "done", a2: "queued", a3: "waiting"}

    async def test_retries_with_backoff_keep_the_turn(self, db: Database):
        queue = make_queue(db, backoff_base=0.02, backoff_max=0.02)
        a1, a2 = await enqueue(queue, db, *[NewJob("k", ordering_key="a")] * 2)
        ran = []
        for _ in range(3):
            await asyncio.sleep(0.03)
            [job] = await queue.claim("w1", 10)
            ran.append(job.id)
            if job.attempts < 3 and job.id == a1:
                assert await queue.fail(job, RuntimeError("flaky")) == "queued"
                assert (await job_row(db, a2)).status == "waiting"
            else:
                await complete(queue, db, job)
        assert ran == [a1, a1, a1]
        assert await claim_ids(queue) == [a2]

    async def test_a_reaped_head_keeps_the_turn(self, db: Database):
        queue = make_queue(db, lease_seconds=0.05)
        a1, a2 = await enqueue(queue, db, *[NewJob("k", ordering_key="a")] * 2)
        await claim_ids(queue, "w1")
        await asyncio.sleep(0.08)
        await queue.reap()
        assert await statuses(db) == {a1: "queued", a2: "waiting"}
        assert await claim_ids(queue, "w2") == [a1]

    async def test_a_released_head_keeps_the_turn(self, db: Database):
        queue = make_queue(db)
        a1, a2 = await enqueue(queue, db, *[NewJob("k", ordering_key="a")] * 2)
        await queue.release(await queue.claim("w1", 10))
        assert await statuses(db) == {a1: "queued", a2: "waiting"}

    async def test_a_dead_head_hands_the_turn_on(self, db: Database):
        queue = make_queue(db)
        a1, a2 = await enqueue(queue, db, *[NewJob("k", ordering_key="a")] * 2)
        [head] = await queue.claim("w1", 10)
        assert await queue.fail(head, PermanentJobError("bad")) == "dead"
        assert await statuses(db) == {a1: "dead", a2: "queued"}

    async def test_one_transaction_completing_and_enqueueing_on_several_keys(self, db: Database):
        queue = make_queue(db)
        a1, a2 = await enqueue(queue, db, *[NewJob("k", ordering_key="a")] * 2)
        [b1] = await enqueue(queue, db, NewJob("k", ordering_key="b"))
        claimed = await queue.claim("w1", 10)
        async with db.system_tx() as session:
            for job in claimed:
                await queue.complete(session, job)
            b2 = await queue.enqueue(session, NewJob("k", ordering_key="b"))
            c1 = await queue.enqueue(session, NewJob("k", ordering_key="c"))
        assert await statuses(db) == {
            a1: "done",
            a2: "queued",
            b1: "done",
            b2: "queued",
            c1: "queued",
        }

    async def test_priority_orders_runnable_jobs_only(self, db: Database):
        queue = make_queue(db)
        a1, a2, b1, free = await enqueue(
            queue,
            db,
            NewJob("k", ordering_key="a", priority=0),
            NewJob("k", ordering_key="a", priority=9),
            NewJob("k", ordering_key="b", priority=5),
            NewJob("k", priority=3),
        )
        assert [await claim_ids(queue, limit=1) for _ in range(4)] == [[b1], [free], [a1], []]


class TestDeadLetters:
    async def test_replayed_job_waits_for_the_running_one_then_goes_first(self, db: Database):
        queue = make_queue(db)
        a1, a2, a3 = await enqueue(queue, db, *[NewJob("k", ordering_key="a")] * 3)
        [head] = await queue.claim("w1", 10)
        await queue.fail(head, PermanentJobError("bad"))
        [running] = await queue.claim("w1", 10)
        assert running.id == a2

        async with db.system_tx() as session:
            replayed = await DeadLetters(session, None).replay(a1)
        assert (replayed.status, replayed.attempts) == ("waiting", 0)
        assert await statuses(db) == {a1: "waiting", a2: "running", a3: "waiting"}

        await complete(queue, db, running)
        assert await statuses(db) == {a1: "queued", a2: "done", a3: "waiting"}

    async def test_replay_on_a_free_key_queues_at_once(self, db: Database):
        queue = make_queue(db)
        [a1] = await enqueue(queue, db, NewJob("k", ordering_key="a"))
        await queue.fail((await queue.claim("w1", 10))[0], PermanentJobError("bad"))
        async with db.system_tx() as session:
            replayed = await DeadLetters(session, None).replay(a1)
        assert replayed.status == "queued"
        assert await claim_ids(queue) == [a1]

    async def test_discard_leaves_the_key_moving(self, db: Database):
        queue = make_queue(db)
        a1, a2 = await enqueue(queue, db, *[NewJob("k", ordering_key="a")] * 2)
        await queue.fail((await queue.claim("w1", 10))[0], PermanentJobError("bad"))
        async with db.system_tx() as session:
            await DeadLetters(session, None).discard(a1)
        assert await statuses(db) == {a2: "queued"}


class TestRepair:
    async def test_reap_promotes_the_head_of_a_stuck_key(self, db: Database):
        queue = make_queue(db)
        a1, a2, b1, b2 = await enqueue(
            queue, db, *[NewJob("k", ordering_key="a")] * 2, *[NewJob("k", ordering_key="b")] * 2
        )
        async with db.system_tx() as session:  # a hand edit: the heads of a and b wait too
            await session.execute(
                update(jobs).where(jobs.c.id.in_([a1, b1])).values(status="waiting")
            )
        with capture_logs() as logs:
            assert await claim_ids(queue) == [a1, b1]  # its reap repaired both keys first
        assert queue.repaired == 2
        assert {"event": "queue_keys_repaired", "keys": 2, "log_level": "warning"} in logs
        assert await statuses(db) == {a1: "running", a2: "waiting", b1: "running", b2: "waiting"}

    async def test_reap_leaves_healthy_keys_alone(self, db: Database):
        queue = make_queue(db)
        await enqueue(queue, db, *[NewJob("k", ordering_key="a")] * 3, NewJob("k"))
        before = await statuses(db)
        await queue.reap()
        assert queue.repaired == 0
        assert await statuses(db) == before
