"""Worker: each job's handler writes and its completion commit together; retries; shutdown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.db import SYSTEM_KEY, TENANT_KEY, Database
from frontdesk.core.logging import correlation_id
from frontdesk.core.metrics import Metrics
from frontdesk.core.outbox import OutboxEvent, publish
from frontdesk.queue.base import ClaimedJob, Deferred, NewJob, PermanentJobError
from frontdesk.queue.sql import SqlQueue
from frontdesk.queue.worker import Handler, Worker
from tests.queue.helpers import enqueue, job_row, make_queue


def make_worker(
    db: Database, queue: SqlQueue, handlers: dict[str, Handler], **overrides: Any
) -> Worker:
    options: dict[str, Any] = {
        "concurrency": 4,
        "batch": 8,
        "poll_seconds": 0.01,
        "lease_seconds": 30.0,
        "metrics": Metrics(),
        "shutdown_grace": 5.0,
    }
    options.update(overrides)
    return Worker(db, queue, handlers, **options)


@asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def wait_status(db: Database, job_id: str, status: str, attempts: int) -> None:
    async def check() -> bool:
        row = await job_row(db, job_id)
        return (row.status, row.attempts) == (status, attempts)

    await wait_until(check)


async def events(db: Database) -> list[dict[str, Any]]:
    async with db.system_session() as session:
        rows = (await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))).all()
    return [row.payload for row in rows]


def outcome(worker_metrics: Metrics, kind: str, result: str) -> float:
    value = worker_metrics.registry.get_sample_value(
        "frontdesk_jobs_total", {"kind": kind, "outcome": result}
    )
    return value or 0.0


async def record(session: AsyncSession, job: ClaimedJob) -> None:
    """A handler whose only effect is a row written in the job's transaction."""
    await publish(session, job.tenant_id, "job.ran", {"job": job.id, "n": job.payload.get("n")})
    await session.flush()


async def test_handler_writes_and_completion_commit_together(db: Database):
    queue, metrics = make_queue(db), Metrics()
    [job_id] = await enqueue(queue, db, NewJob("record", {"n": 1}))
    async with running(make_worker(db, queue, {"record": record}, metrics=metrics)):
        await wait_status(db, job_id, "done", 1)
    assert await events(db) == [{"job": job_id, "n": 1}]
    assert outcome(metrics, "record", "done") == 1


async def test_handler_exception_rolls_back_its_writes_and_schedules_a_retry(db: Database):
    queue = make_queue(db, backoff_base=60, backoff_max=60)
    metrics = Metrics()

    async def broken(session: AsyncSession, job: ClaimedJob) -> None:
        await record(session, job)
        raise RuntimeError("upstream said no")

    [job_id] = await enqueue(queue, db, NewJob("broken"))
    async with running(make_worker(db, queue, {"broken": broken}, metrics=metrics)):
        await wait_status(db, job_id, "queued", 1)
    row = await job_row(db, job_id)
    assert row.last_error == "RuntimeError: upstream said no"
    assert row.lease_token is None
    assert await events(db) == []
    assert outcome(metrics, "broken", "failed") == 1


async def test_failing_job_is_retried_until_it_succeeds(db: Database):
    queue = make_queue(db, backoff_base=0.005, backoff_max=0.005)
    calls: list[int] = []

    async def flaky(session: AsyncSession, job: ClaimedJob) -> None:
        calls.append(job.attempts)
        await record(session, job)
        if job.attempts < 3:
            raise RuntimeError(f"attempt {job.attempts}")

    [job_id] = await enqueue(queue, db, NewJob("flaky", {"n": 7}))
    async with running(make_worker(db, queue, {"flaky": flaky})):
        await wait_status(db, job_id, "done", 3)
    assert calls == [1, 2, 3]
    # Only the successful attempt's writes exist: retries never repeat committed work.
    assert await events(db) == [{"job": job_id, "n": 7}]


async def test_job_failing_every_attempt_goes_dead(db: Database):
    queue = make_queue(db, backoff_base=0.005, backoff_max=0.005)
    metrics = Metrics()

    async def always_fails(session: AsyncSession, job: ClaimedJob) -> None:
        raise ValueError(f"bad #{job.attempts}")

    [job_id] = await enqueue(queue, db, NewJob("doomed", max_attempts=3))
    async with running(make_worker(db, queue, {"doomed": always_fails}, metrics=metrics)):
        await wait_status(db, job_id, "dead", 3)
    assert (await job_row(db, job_id)).last_error == "ValueError: bad #3"
    assert outcome(metrics, "doomed", "failed") == 2
    assert outcome(metrics, "doomed", "dead") == 1


async def test_a_deferred_job_waits_without_spending_its_attempts(db: Database):
    """Held back more times than it may fail (send pacing): it runs once it may, never dead."""
    queue = make_queue(db)
    metrics = Metrics()
    seen: list[int] = []

    async def paced(session: AsyncSession, job: ClaimedJob) -> None:
        seen.append(job.attempts)
        if len(seen) <= 4:
            raise Deferred("provider send pacing", 0.01)
        await record(session, job)

    [job_id] = await enqueue(queue, db, NewJob("paced", {"n": 1}, max_attempts=2))
    async with running(make_worker(db, queue, {"paced": paced}, metrics=metrics)):
        await wait_status(db, job_id, "done", 1)
    assert seen == [1, 1, 1, 1, 1]  # the same first attempt, five times
    assert (await job_row(db, job_id)).last_error is None
    assert outcome(metrics, "paced", "deferred") == 4
    assert outcome(metrics, "paced", "failed") == outcome(metrics, "paced", "dead") == 0


async def test_permanent_error_from_handler_goes_dead_at_once(db: Database):
    queue = make_queue(db)

    async def refuses(session: AsyncSession, job: ClaimedJob) -> None:
        await record(session, job)
        raise PermanentJobError("customer deleted")

    [job_id] = await enqueue(queue, db, NewJob("refuses"))
    async with running(make_worker(db, queue, {"refuses": refuses})):
        await wait_status(db, job_id, "dead", 1)
    assert "customer deleted" in ((await job_row(db, job_id)).last_error or "")
    assert await events(db) == []


async def test_unknown_kind_goes_dead(db: Database):
    queue, metrics = make_queue(db), Metrics()
    [job_id] = await enqueue(queue, db, NewJob("mystery"))
    async with running(make_worker(db, queue, {"record": record}, metrics=metrics)):
        await wait_status(db, job_id, "dead", 1)
    assert "no handler for job kind 'mystery'" in ((await job_row(db, job_id)).last_error or "")
    assert outcome(metrics, "mystery", "dead") == 1


async def test_handler_session_is_scoped_to_the_jobs_tenant(db: Database):
    queue = make_queue(db)
    seen: dict[str, tuple[object, object, str | None]] = {}

    async def inspect(session: AsyncSession, job: ClaimedJob) -> None:
        seen[job.id] = (
            session.info.get(TENANT_KEY),
            session.info.get(SYSTEM_KEY),
            correlation_id.get(),
        )

    token = correlation_id.set("req-9")
    try:
        tenant_job, system_job = await enqueue(
            queue, db, NewJob("inspect", tenant_id="t-1"), NewJob("inspect")
        )
    finally:
        correlation_id.reset(token)
    async with running(make_worker(db, queue, {"inspect": inspect})):
        await wait_status(db, tenant_job, "done", 1)
        await wait_status(db, system_job, "done", 1)
    assert seen[tenant_job] == ("t-1", None, "req-9")
    assert seen[system_job] == (None, True, "req-9")
    assert correlation_id.get() is None


async def test_ordering_keys_serialise_jobs_and_other_keys_run_alongside(db: Database):
    queue = make_queue(db)
    log: list[tuple[str, str, int]] = []
    active: set[str] = set()
    overlapped = asyncio.Event()

    async def step(session: AsyncSession, job: ClaimedJob) -> None:
        key, n = job.ordering_key or "", job.payload["n"]
        assert key not in active, f"two jobs of key {key} ran at once"
        active.add(key)
        log.append(("start", key, n))
        if len(active) > 1:
            overlapped.set()
        await asyncio.sleep(0.02)
        log.append(("end", key, n))
        active.discard(key)

    ids = await enqueue(
        queue,
        db,
        *[NewJob("step", {"n": n}, ordering_key=key) for n in range(4) for key in ("a", "b")],
    )
    async with running(make_worker(db, queue, {"step": step}, concurrency=4)):
        for job_id in ids:
            await wait_status(db, job_id, "done", 1)
    for key in ("a", "b"):
        starts = [n for event, k, n in log if k == key and event == "start"]
        assert starts == [0, 1, 2, 3]
    assert overlapped.is_set(), "different keys should run in parallel"


async def test_concurrency_is_never_exceeded(db: Database):
    queue = make_queue(db)
    now_running = 0
    peak = 0

    async def slow(session: AsyncSession, job: ClaimedJob) -> None:
        nonlocal now_running, peak
        now_running += 1
        peak = max(peak, now_running)
        await asyncio.sleep(0.02)
        now_running -= 1

    ids = await enqueue(queue, db, *[NewJob("slow") for _ in range(10)])
    async with running(make_worker(db, queue, {"slow": slow}, concurrency=3, batch=8)):
        for job_id in ids:
            await wait_status(db, job_id, "done", 1)
    assert peak == 3


async def test_workers_run_one_job_at_a_time_while_intake_is_busy(db: Database):
    queue = make_queue(db)
    busy = True
    now_running = peak_busy = peak_quiet = 0

    async def slow(session: AsyncSession, job: ClaimedJob) -> None:
        nonlocal now_running, peak_busy, peak_quiet
        now_running += 1
        if busy:
            peak_busy = max(peak_busy, now_running)
        else:
            peak_quiet = max(peak_quiet, now_running)
        await asyncio.sleep(0.02)
        now_running -= 1

    ids = await enqueue(queue, db, *[NewJob("slow") for _ in range(16)])
    worker = make_worker(db, queue, {"slow": slow}, concurrency=4, give_way=lambda: busy)
    async with running(worker):
        await wait_status(db, ids[3], "done", 1)
        busy = False
        worker.wake.set()
        for job_id in ids:
            await wait_status(db, job_id, "done", 1)
    assert peak_busy == 1 and peak_quiet == 4


async def test_heartbeat_keeps_the_lease_of_a_long_job(db: Database):
    # The lease is long enough for a loaded CI machine to beat in time (a beat every 0.33 s).
    queue = make_queue(db, lease_seconds=1.0)
    started, finish = asyncio.Event(), asyncio.Event()

    async def long(session: AsyncSession, job: ClaimedJob) -> None:
        started.set()
        await finish.wait()
        await record(session, job)

    [job_id] = await enqueue(queue, db, NewJob("long"))
    async with running(make_worker(db, queue, {"long": long}, lease_seconds=1.0)):
        await started.wait()
        first_lease = (await job_row(db, job_id)).lease_until
        for _ in range(3):  # 1.5 s in all: longer than one lease
            await asyncio.sleep(0.5)
            assert await queue.claim("thief", 10) == []
        row = await job_row(db, job_id)
        assert first_lease is not None and row.lease_until is not None
        assert row.lease_until > first_lease
        finish.set()
        await wait_status(db, job_id, "done", 1)
    assert len(await events(db)) == 1


async def test_handler_that_lost_its_lease_has_its_writes_rolled_back(db: Database):
    # The worker believes its lease is 30 s (rare heartbeats) but the queue grants 0.05 s.
    queue, metrics = make_queue(db, lease_seconds=0.05), Metrics()
    started, resume = asyncio.Event(), asyncio.Event()

    async def slow(session: AsyncSession, job: ClaimedJob) -> None:
        started.set()
        await resume.wait()
        await publish(session, None, "job.ran", {"by": "first"})

    [job_id] = await enqueue(queue, db, NewJob("slow"))
    worker = make_worker(
        db, queue, {"slow": slow}, lease_seconds=30.0, metrics=metrics, concurrency=1
    )
    async with running(worker):  # leaving waits for the running attempt to finish
        await started.wait()
        await asyncio.sleep(0.08)
        [stolen] = await queue.claim("thief", 10)
        resume.set()

    assert outcome(metrics, "slow", "done") == 0
    row = await job_row(db, job_id)
    assert (row.status, row.lease_token, row.attempts) == ("running", stolen.lease_token, 2)
    assert row.last_error is None
    assert await events(db) == []


async def test_stop_waits_for_running_jobs(db: Database):
    queue = make_queue(db)
    started, finish = asyncio.Event(), asyncio.Event()

    async def blocking(session: AsyncSession, job: ClaimedJob) -> None:
        started.set()
        await finish.wait()
        await record(session, job)

    [job_id] = await enqueue(queue, db, NewJob("blocking"))
    worker = make_worker(db, queue, {"blocking": blocking}, shutdown_grace=5.0)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await started.wait()

    stop.set()
    [late] = await enqueue(queue, db, NewJob("blocking"))
    await asyncio.sleep(0.1)
    assert not task.done(), "the worker must wait for its running job"
    finish.set()
    await asyncio.wait_for(task, 5)

    row = await job_row(db, job_id)
    assert (row.status, row.attempts) == ("done", 1)
    assert len(await events(db)) == 1
    # A stopping worker takes no new work.
    assert (await job_row(db, late)).status == "queued"


async def test_jobs_running_past_the_grace_are_released(db: Database):
    queue = make_queue(db)
    started = asyncio.Event()
    metrics = Metrics()

    async def stuck(session: AsyncSession, job: ClaimedJob) -> None:
        if job.payload["n"] == 1:  # one writer at a time on SQLite
            await record(session, job)
        started.set()
        await asyncio.Event().wait()

    ids = await enqueue(queue, db, NewJob("stuck", {"n": 1}), NewJob("stuck", {"n": 2}))
    worker = make_worker(
        db, queue, {"stuck": stuck}, shutdown_grace=0.1, metrics=metrics, concurrency=2
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await started.wait()
    await asyncio.sleep(0.05)

    began = time.monotonic()
    stop.set()
    await asyncio.wait_for(task, 5)
    assert time.monotonic() - began < 2

    for job_id in ids:
        row = await job_row(db, job_id)
        assert (row.status, row.attempts, row.lease_token) == ("queued", 0, None)
    assert await events(db) == []
    assert outcome(metrics, "stuck", "failed") == 0
    # Another worker picks them up right away, as first attempts.
    assert sorted((j.id, j.attempts) for j in await queue.claim("next", 10)) == [
        (ids[0], 1),
        (ids[1], 1),
    ]


async def test_jobs_held_in_hand_are_kept_alive_and_given_back_at_stop(db: Database):
    """One claim feeds several jobs: those not started yet keep their lease, then go back."""
    queue = make_queue(db, lease_seconds=1.0)
    started, finish = asyncio.Event(), asyncio.Event()

    async def blocking(session: AsyncSession, job: ClaimedJob) -> None:
        started.set()
        await finish.wait()

    first, *held = await enqueue(queue, db, *(NewJob("blocking", {"n": n}) for n in range(3)))
    worker = make_worker(
        db, queue, {"blocking": blocking}, concurrency=1, lease_seconds=1.0, shutdown_grace=0.05
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await started.wait()
    for job_id in held:  # claimed with the first, leased to this worker
        assert (await job_row(db, job_id)).status == "running"
    await asyncio.sleep(1.5)  # longer than a lease: the lease keeper extends them all
    assert await queue.claim("thief", 10) == []

    stop.set()
    await asyncio.wait_for(task, 5)
    for job_id in [first, *held]:
        row = await job_row(db, job_id)
        assert (row.status, row.attempts, row.lease_token) == ("queued", 0, None)


async def test_jobs_claimed_while_a_lease_beat_waits_stay_in_hand(db: Database):
    """A beat can only lose the jobs it asked about: a claim landing meanwhile keeps its jobs."""
    queue = make_queue(db)
    worker = make_worker(db, queue, {}, concurrency=1)
    first, second = await enqueue(queue, db, NewJob("noop", {}), NewJob("noop", {}))
    worker._buffer.extend(await queue.claim(worker.id, 1))
    extend = queue.extend

    async def extend_while_a_claim_lands(jobs: list[ClaimedJob]) -> set[str]:
        kept = await extend(jobs)
        worker._buffer.extend(await queue.claim(worker.id, 1))
        return kept

    queue.extend = extend_while_a_claim_lands  # type: ignore[method-assign]
    await worker._extend_leases()
    assert [job.id for job in worker._buffer] == [first, second]
