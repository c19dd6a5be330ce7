"""The worker loop: claim, run each job in one transaction with its completion, retry or bury."""

from __future__ import annotations

import asyncio
import os
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import suppress

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.db import Database
from frontdesk.core.logging import correlation_id, get_logger
from frontdesk.core.metrics import Metrics
from frontdesk.queue.base import ClaimedJob, Deferred, PermanentJobError
from frontdesk.queue.sql import SqlQueue

log = get_logger("frontdesk.worker")

Handler = Callable[[AsyncSession, ClaimedJob], Awaitable[None]]


class Worker:
    """Runs up to ``concurrency`` jobs at once until told to stop.

    A handler's database work and the job's completion share one transaction: either both commit
    or neither does, so a crash or a lost lease never leaves half a job behind, and a job retried
    after a crash never repeats what its first attempt committed.
    """

    def __init__(
        self,
        db: Database,
        queue: SqlQueue,
        handlers: dict[str, Handler],
        *,
        concurrency: int,
        batch: int,
        poll_seconds: float,
        lease_seconds: float,
        metrics: Metrics,
        shutdown_grace: float = 10.0,
        give_way: Callable[[], bool] = lambda: False,
    ) -> None:
        self._db = db
        self._queue = queue
        self._handlers = handlers
        self._concurrency = concurrency
        self._batch = batch
        self._poll = poll_seconds
        self._heartbeat = lease_seconds / 3
        self._metrics = metrics
        self._grace = shutdown_grace
        self._give_way = give_way
        self.id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.wake = asyncio.Event()
        self._running: dict[asyncio.Task[None], ClaimedJob] = {}
        self._buffer: deque[ClaimedJob] = deque()

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and run jobs until ``stop`` is set, then drain (or release) what is running."""
        log.info("worker_started", worker=self.id, concurrency=self._concurrency)
        keeper = asyncio.create_task(self._keep_leases())
        try:
            while not stop.is_set():
                # While intake is busy (see InFlight), run one job at a time.
                slots = 1 if self._give_way() else self._concurrency
                if not self._buffer and len(self._running) < slots:
                    await self._refill()
                while self._buffer and len(self._running) < slots:
                    self._start(self._buffer.popleft())
                if len(self._running) >= slots:
                    await self._wait_for_slot(stop)
                elif not self._buffer:  # the last claim came back short: wait for work
                    await self._idle(stop)
        finally:
            keeper.cancel()
            with suppress(asyncio.CancelledError):
                await keeper
        await self._drain()

    async def _refill(self) -> None:
        """Claim enough jobs to fill the free slots and keep more in hand.

        Claiming more than the free slots lets one claim feed several jobs, so a busy
        worker pays one claim per batch rather than one per job. Jobs in hand are leased:
        the lease keeper extends them like running ones, and shutdown releases them.
        """
        hand = max(min(4 * self._concurrency, self._batch), self._concurrency)
        wanted = hand - len(self._running)
        try:
            self.wake.clear()
            claimed = await self._queue.claim(self.id, wanted)
        except Exception:
            log.exception("claim_failed")
            return
        self._buffer.extend(claimed)

    def _start(self, job: ClaimedJob) -> None:
        task = asyncio.create_task(self._run_one(job))
        self._running[task] = job
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)
        self.wake.set()

    async def _wait_for_slot(self, stop: asyncio.Event) -> None:
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait([*self._running, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()

    async def _idle(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
        await asyncio.wait(waiters, timeout=self._poll, return_when=asyncio.FIRST_COMPLETED)
        for w in waiters:
            w.cancel()

    async def _drain(self) -> None:
        if self._running:
            await asyncio.wait(list(self._running), timeout=self._grace)
        leftover = [*self._running.values(), *self._buffer]
        self._buffer.clear()
        tasks = list(self._running)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if leftover:  # release() only touches jobs still running under our lease
            await self._queue.release(leftover)
            log.info("leases_released", count=len(leftover))
        log.info("worker_stopped", worker=self.id)

    async def _run_one(self, job: ClaimedJob) -> None:
        token = correlation_id.set(job.correlation_id or job.id)
        try:
            handler = self._handlers.get(job.kind)
            if handler is None:
                raise PermanentJobError(f"no handler for job kind {job.kind!r}")
            session = (
                self._db.tenant_session(job.tenant_id)
                if job.tenant_id
                else self._db.system_session()
            )
            async with self._db.transaction(session, write=False):
                await handler(session, job)
                await self._queue.complete(session, job)
            self._metrics.jobs.labels(job.kind, "done").inc()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            status = await self._queue.fail(job, e)
            if isinstance(e, Deferred) and status == "queued":
                self._metrics.jobs.labels(job.kind, "deferred").inc()
                log.debug("job_deferred", job_id=job.id, kind=job.kind, delay=e.delay, why=str(e))
                return
            outcome = {"dead": "dead", "queued": "failed"}.get(status, "lost")
            self._metrics.jobs.labels(job.kind, outcome).inc()
            log.warning(
                "job_failed",
                job_id=job.id,
                kind=job.kind,
                attempt=job.attempts,
                status=status,
                error=str(e)[:500],
            )
        finally:
            correlation_id.reset(token)

    async def _keep_leases(self) -> None:
        """Extend the leases of every job running or in hand, in one statement per beat."""
        while True:
            await asyncio.sleep(self._heartbeat)
            await self._extend_leases()

    async def _extend_leases(self) -> None:
        """One beat: extend, and drop from hand the jobs whose lease passed to another worker.

        Only the jobs this beat asked about can be lost: a claim made while it waited for the
        database brought jobs with fresh leases, which it did not extend.
        """
        held = [*self._running.values(), *self._buffer]
        try:
            kept = await self._queue.extend(held)
        except Exception:
            log.exception("lease_extend_failed")
            return
        lost = {job.id for job in held} - kept
        for job in [job for job in self._buffer if job.id in lost]:
            self._buffer.remove(job)  # never start a job another worker now owns
