"""SqlQueue on the real database: enqueue, claim, ordering keys, leases, retries, dead letters."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database
from frontdesk.core.logging import correlation_id
from frontdesk.core.outbox import OutboxEvent, publish
from frontdesk.queue.base import LeaseLost, NewJob, PermanentJobError
from frontdesk.queue.models import Job
from tests.queue.helpers import (
    all_jobs,
    claim_ids,
    complete,
    enqueue,
    job_row,
    make_queue,
)


async def count_events(db: Database) -> int:
    async with db.system_session() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)


class TestEnqueue:
    async def test_committed_job_is_queued_with_its_fields(self, db: Database):
        queue = make_queue(db, max_attempts=7)
        token = correlation_id.set("req-123")
        try:
            [job_id] = await enqueue(
                queue,
                db,
                NewJob(
                    "email.send",
                    {"to": "a@example.com", "n": [1, 2]},
                    tenant_id="t-1",
                    priority=3,
                    ordering_key="conv-1",
                ),
            )
        finally:
            correlation_id.reset(token)

        row = await job_row(db, job_id)
        assert (row.status, row.attempts, row.max_attempts) == ("queued", 0, 7)
        assert (row.kind, row.tenant_id, row.priority, row.ordering_key) == (
            "email.send",
            "t-1",
            3,
            "conv-1",
        )
        assert row.payload == {"to": "a@example.com", "n": [1, 2]}
        assert row.correlation_id == "req-123"

        [claimed] = await queue.claim("w1", 10)
        assert claimed.id == job_id
        assert claimed.payload == {"to": "a@example.com", "n": [1, 2]}
        assert (claimed.tenant_id, claimed.ordering_key, claimed.correlation_id) == (
            "t-1",
            "conv-1",
            "req-123",
        )
        assert (claimed.attempts, claimed.max_attempts) == (1, 7)

    async def test_job_max_attempts_overrides_the_queue_default(self, db: Database):
        queue = make_queue(db, max_attempts=7)
        [job_id] = await enqueue(queue, db, NewJob("k", max_attempts=2))
        assert (await job_row(db, job_id)).max_attempts == 2

    async def test_rolled_back_transaction_leaves_no_job(self, db: Database):
        queue = make_queue(db)
        async with db.system_session() as session:
            await queue.enqueue(session, NewJob("email.send"))
            await publish(session, None, "thing.happened", {})
            await session.rollback()

        assert await all_jobs(db) == []
        assert await queue.claim("w1", 10) == []

    async def test_job_commits_with_the_callers_other_writes(self, db: Database):
        queue = make_queue(db)
        async with db.system_tx() as session:
            await publish(session, None, "thing.happened", {})
            job_id = await queue.enqueue(session, NewJob("email.send"))

        assert await count_events(db) == 1
        assert await claim_ids(queue) == [job_id]

    async def test_enqueue_in_a_tenant_session(self, db: Database):
        queue = make_queue(db)
        async with db.tenant_tx("tenant-a") as session:
            job_id = await queue.enqueue(session, NewJob("k", tenant_id="tenant-a"))
        [claimed] = await queue.claim("w1", 10)
        assert (claimed.id, claimed.tenant_id) == (job_id, "tenant-a")


class TestClaim:
    async def test_higher_priority_first_then_enqueue_order(self, db: Database):
        queue = make_queue(db)
        low, high_1, mid, high_2 = await enqueue(
            queue,
            db,
            NewJob("k", priority=0),
            NewJob("k", priority=5),
            NewJob("k", priority=1),
            NewJob("k", priority=5),
        )

        order = [await claim_ids(queue, limit=1) for _ in range(5)]
        assert order == [[high_1], [high_2], [mid], [low], []]

    async def test_claim_takes_at_most_limit_jobs(self, db: Database):
        queue = make_queue(db)
        await enqueue(queue, db, *[NewJob("k") for _ in range(10)])
        sizes = [len(await queue.claim("w1", 3)) for _ in range(5)]
        assert sizes == [3, 3, 3, 1, 0]

    async def test_limit_takes_the_most_urgent_jobs(self, db: Database):
        queue = make_queue(db)
        low, high, mid = await enqueue(
            queue, db, NewJob("k", priority=0), NewJob("k", priority=9), NewJob("k", priority=4)
        )
        assert set(await claim_ids(queue, limit=2)) == {high, mid}
        assert await claim_ids(queue, limit=2) == [low]

    async def test_claimed_job_is_running_and_not_claimed_twice(self, db: Database):
        queue = make_queue(db)
        [job_id] = await enqueue(queue, db, NewJob("k"))
        [job] = await queue.claim("w1", 10)
        row = await job_row(db, job_id)
        assert row.status == "running"
        assert row.attempts == 1
        assert row.lease_token == job.lease_token
        assert job.lease_token.startswith("w1:")
        assert row.lease_until is not None and row.lease_until > utcnow()
        assert await queue.claim("w2", 10) == []

    async def test_future_run_at_is_not_claimed_until_due(self, db: Database):
        queue = make_queue(db)
        [later] = await enqueue(queue, db, NewJob("k", run_at=utcnow() + timedelta(hours=1)))
        [soon] = await enqueue(queue, db, NewJob("k", run_at=utcnow() + timedelta(seconds=1)))
        assert await claim_ids(queue) == []
        await asyncio.sleep(1.05)
        assert await claim_ids(queue) == [soon]
        assert (await job_row(db, later)).status == "queued"

    async def test_concurrent_claims_never_take_the_same_job(self, db: Database):
        queue = make_queue(db)
        ids = await enqueue(queue, db, *[NewJob("k", {"n": n}) for n in range(30)])
        batches = await asyncio.gather(*[claim_ids(queue, f"w{n}", limit=4) for n in range(10)])
        claimed = [job_id for batch in batches for job_id in batch]
        assert len(claimed) == len(set(claimed))
        claimed += await claim_ids(queue, "last")
        assert sorted(claimed) == sorted(ids)


class TestOrderingKeys:
    async def test_same_key_is_claimed_one_at_a_time_other_keys_in_parallel(self, db: Database):
        queue = make_queue(db)
        a1, a2, b1, a3, free_1, b2, free_2 = await enqueue(
            queue,
            db,
            NewJob("k", ordering_key="a"),
            NewJob("k", ordering_key="a"),
            NewJob("k", ordering_key="b"),
            NewJob("k", ordering_key="a"),
            NewJob("k"),
            NewJob("k", ordering_key="b"),
            NewJob("k"),
        )

        first = await queue.claim("w1", 100)
        assert [j.id for j in first] == [a1, b1, free_1, free_2]
        # While the heads run, nothing else of their keys is runnable, for any worker.
        assert await claim_ids(queue, "w2") == []

        for job in first:
            await complete(queue, db, job)
        second = await queue.claim("w2", 100)
        assert [j.id for j in second] == [a2, b2]
        for job in second:
            await complete(queue, db, job)
        assert await claim_ids(queue, "w3") == [a3]

    async def test_jobs_of_one_key_run_in_enqueue_order_despite_priority(self, db: Database):
        queue = make_queue(db)
        ids = await enqueue(
            queue, db, *[NewJob("k", ordering_key="conv", priority=p) for p in (0, 9, 3, 7, 1)]
        )
        ran = []
        while claimed := await queue.claim("w1", 100):
            assert len(claimed) == 1
            ran.append(claimed[0].id)
            await complete(queue, db, claimed[0])
        assert ran == ids

    async def test_retrying_head_blocks_its_key(self, db: Database):
        queue = make_queue(db, backoff_base=60, backoff_max=60)
        a1, a2, b1 = await enqueue(
            queue,
            db,
            NewJob("k", ordering_key="a"),
            NewJob("k", ordering_key="a"),
            NewJob("k", ordering_key="b"),
        )
        [head, other] = await queue.claim("w1", 100)
        assert (head.id, other.id) == (a1, b1)

        assert await queue.fail(head, RuntimeError("flaky")) == "queued"
        row = await job_row(db, a1)
        assert row.status == "queued" and row.run_at > utcnow()
        # a2 must not overtake its head while the head waits for its retry.
        assert await claim_ids(queue, "w2") == []
        assert (await job_row(db, a2)).status == "waiting"

    async def test_dead_head_unblocks_its_key(self, db: Database):
        queue = make_queue(db)
        a1, a2 = await enqueue(
            queue, db, NewJob("k", ordering_key="a"), NewJob("k", ordering_key="a")
        )
        [head] = await queue.claim("w1", 100)
        assert await queue.fail(head, PermanentJobError("bad payload")) == "dead"
        assert await claim_ids(queue, "w2") == [a2]

    async def test_done_head_unblocks_its_key(self, db: Database):
        queue = make_queue(db)
        a1, a2 = await enqueue(
            queue, db, NewJob("k", ordering_key="a"), NewJob("k", ordering_key="a")
        )
        [head] = await queue.claim("w1", 100)
        await complete(queue, db, head)
        assert await claim_ids(queue, "w2") == [a2]

    async def test_expired_head_is_reclaimed_alone(self, db: Database):
        """The head's worker died: the head is taken again, but its successor still waits."""
        queue = make_queue(db, lease_seconds=0.05)
        a1, a2 = await enqueue(
            queue, db, NewJob("k", ordering_key="a"), NewJob("k", ordering_key="a")
        )
        assert await claim_ids(queue, "w1") == [a1]
        await asyncio.sleep(0.08)

        assert await claim_ids(queue, "w2") == [a1]
        assert (await job_row(db, a2)).status == "waiting"


class TestLeases:
    async def test_expired_lease_is_claimed_again_and_first_worker_loses_it(self, db: Database):
        queue = make_queue(db, lease_seconds=0.05)
        [job_id] = await enqueue(queue, db, NewJob("k"))
        [first] = await queue.claim("w1", 10)
        await asyncio.sleep(0.08)

        [second] = await queue.claim("w2", 10)
        assert second.id == job_id
        assert second.attempts == 2
        assert second.lease_token != first.lease_token

        # The first worker finishes late: its completion and its writes roll back together.
        with pytest.raises(LeaseLost):
            async with db.system_tx() as session:
                await publish(session, None, "work.done", {"by": "w1"})
                await session.flush()
                await queue.complete(session, first)
        assert await count_events(db) == 0
        row = await job_row(db, job_id)
        assert (row.status, row.lease_token) == ("running", second.lease_token)

        # A late failure report of the first worker does not disturb the second one either.
        await queue.fail(first, RuntimeError("too late"))
        row = await job_row(db, job_id)
        assert (row.status, row.lease_token, row.last_error) == (
            "running",
            second.lease_token,
            None,
        )

        async with db.system_tx() as session:
            await publish(session, None, "work.done", {"by": "w2"})
            await queue.complete(session, second)
        assert await count_events(db) == 1
        row = await job_row(db, job_id)
        assert row.status == "done" and row.finished_at is not None

    async def test_live_lease_is_not_claimed(self, db: Database):
        queue = make_queue(db, lease_seconds=30)
        await enqueue(queue, db, NewJob("k"))
        assert len(await queue.claim("w1", 10)) == 1
        assert await queue.claim("w2", 10) == []

    async def test_extend_keeps_the_lease(self, db: Database):
        queue = make_queue(db, lease_seconds=1.0)
        [job_id] = await enqueue(queue, db, NewJob("k"))
        [job] = await queue.claim("w1", 10)
        for _ in range(3):
            await asyncio.sleep(0.4)
            assert await queue.extend([job]) == {job.id}
        # 1.2 s have passed, longer than one lease: still ours.
        assert await queue.claim("w2", 10) == []
        await complete(queue, db, job)
        assert (await job_row(db, job_id)).status == "done"

    async def test_extend_reports_a_lost_lease(self, db: Database):
        queue = make_queue(db, lease_seconds=0.05)
        await enqueue(queue, db, NewJob("k"))
        [first] = await queue.claim("w1", 10)
        await asyncio.sleep(0.08)
        [second] = await queue.claim("w2", 10)
        assert await queue.extend([first]) == set()
        assert await queue.extend([second]) == {second.id}
        assert await queue.extend([]) == set()

    async def test_lease_expiring_on_every_attempt_goes_dead(self, db: Database):
        queue = make_queue(db, lease_seconds=0.03)
        [job_id] = await enqueue(queue, db, NewJob("poison", max_attempts=2))
        for attempt in (1, 2):
            [job] = await queue.claim("w1", 10)
            assert job.attempts == attempt
            await asyncio.sleep(0.05)

        assert await queue.claim("w1", 10) == []
        row = await job_row(db, job_id)
        assert row.status == "dead"
        assert row.finished_at is not None
        assert row.lease_token is None
        assert "lease expired on every attempt" in (row.last_error or "")


class TestFailure:
    async def test_failure_schedules_a_retry_after_backoff(self, db: Database):
        queue = make_queue(db, backoff_base=10, backoff_max=10)
        [job_id] = await enqueue(queue, db, NewJob("k"))
        [job] = await queue.claim("w1", 10)
        before = utcnow()

        assert await queue.fail(job, RuntimeError("smtp down")) == "queued"

        row = await job_row(db, job_id)
        assert (row.status, row.attempts) == ("queued", 1)
        assert row.lease_token is None and row.lease_until is None
        assert row.last_error is not None and "RuntimeError: smtp down" in row.last_error
        # Equal jitter: between half and all of the 10 s delay.
        assert before + timedelta(seconds=5) <= row.run_at <= utcnow() + timedelta(seconds=10)
        assert await queue.claim("w1", 10) == []

    async def test_retried_job_runs_again_with_next_attempt(self, db: Database):
        queue = make_queue(db, backoff_base=0.02, backoff_max=0.02)
        [job_id] = await enqueue(queue, db, NewJob("k"))
        [job] = await queue.claim("w1", 10)
        await queue.fail(job, RuntimeError("flaky"))
        await asyncio.sleep(0.03)
        [again] = await queue.claim("w1", 10)
        assert (again.id, again.attempts) == (job_id, 2)

    async def test_permanent_error_goes_straight_to_dead(self, db: Database):
        queue = make_queue(db, max_attempts=5)
        [job_id] = await enqueue(queue, db, NewJob("k"))
        [job] = await queue.claim("w1", 10)

        assert await queue.fail(job, PermanentJobError("unknown template")) == "dead"

        row = await job_row(db, job_id)
        assert (row.status, row.attempts) == ("dead", 1)
        assert row.finished_at is not None
        assert "unknown template" in (row.last_error or "")
        assert await queue.claim("w1", 10) == []

    async def test_last_attempt_goes_dead_with_its_error(self, db: Database):
        queue = make_queue(db, backoff_base=0.001, backoff_max=0.001)
        [job_id] = await enqueue(queue, db, NewJob("k", max_attempts=3))
        statuses = []
        for attempt in range(1, 4):
            await asyncio.sleep(0.005)
            [job] = await queue.claim("w1", 10)
            assert job.attempts == attempt
            statuses.append(await queue.fail(job, ValueError(f"attempt {attempt} failed")))

        assert statuses == ["queued", "queued", "dead"]
        row = await job_row(db, job_id)
        assert (row.status, row.attempts) == ("dead", 3)
        assert row.last_error == "ValueError: attempt 3 failed"
        assert row.finished_at is not None
        await asyncio.sleep(0.005)
        assert await queue.claim("w1", 10) == []

    async def test_long_error_is_truncated(self, db: Database):
        queue = make_queue(db)
        [job_id] = await enqueue(queue, db, NewJob("k"))
        [job] = await queue.claim("w1", 10)
        await queue.fail(job, PermanentJobError("x" * 10_000))
        assert len((await job_row(db, job_id)).last_error or "") == 4000


class TestRelease:
    async def test_release_gives_jobs_back_without_counting_the_attempt(self, db: Database):
        queue = make_queue(db)
        ids = await enqueue(queue, db, NewJob("k"), NewJob("k"))
        claimed = await queue.claim("w1", 10)
        await queue.release(claimed)

        for job_id in ids:
            row = await job_row(db, job_id)
            assert (row.status, row.attempts, row.lease_token, row.lease_until) == (
                "queued",
                0,
                None,
                None,
            )
        again = await queue.claim("w2", 10)
        assert [(j.id, j.attempts) for j in again] == [(ids[0], 1), (ids[1], 1)]

    async def test_released_head_keeps_its_place_in_its_key(self, db: Database):
        queue = make_queue(db)
        a1, a2 = await enqueue(
            queue, db, NewJob("k", ordering_key="a"), NewJob("k", ordering_key="a")
        )
        await queue.release(await queue.claim("w1", 10))
        assert await claim_ids(queue, "w2") == [a1]

    async def test_release_after_losing_the_lease_does_nothing(self, db: Database):
        queue = make_queue(db, lease_seconds=0.05)
        [job_id] = await enqueue(queue, db, NewJob("k"))
        [first] = await queue.claim("w1", 10)
        await asyncio.sleep(0.08)
        [second] = await queue.claim("w2", 10)

        await queue.release([first])

        row = await job_row(db, job_id)
        assert (row.status, row.attempts, row.lease_token) == ("running", 2, second.lease_token)

    async def test_release_of_a_completed_job_does_not_run_it_again(self, db: Database):
        """A worker stopping may release a job whose handler just committed: it must stay done."""
        queue = make_queue(db)
        [job_id] = await enqueue(queue, db, NewJob("k"))
        [job] = await queue.claim("w1", 10)
        await complete(queue, db, job)

        await queue.release([job])

        row = await job_row(db, job_id)
        assert (row.status, row.attempts) == ("done", 1)
        assert await queue.claim("w2", 10) == []


async def test_depth_counts_jobs_by_status(db: Database):
    queue = make_queue(db)
    assert await queue.depth() == {"waiting": 0, "queued": 0, "running": 0, "dead": 0}
    await enqueue(queue, db, *[NewJob("k") for _ in range(3)])
    done, _running, dead = await queue.claim("w1", 100)
    await complete(queue, db, done)
    await queue.fail(dead, PermanentJobError("no"))
    await enqueue(queue, db, NewJob("k"), NewJob("k"), *[NewJob("k", ordering_key="a")] * 3)
    assert await queue.depth() == {"waiting": 2, "queued": 3, "running": 1, "dead": 1}


async def test_job_model_defaults(db: Database):
    """Rows written through the ORM (not the queue) get the same defaults."""
    async with db.system_tx() as session:
        session.add(Job(kind="k"))
    [row] = await all_jobs(db)
    assert (row.status, row.attempts, row.priority, row.payload) == ("queued", 0, 0, {})
    assert await claim_ids(make_queue(db)) == [row.id]
