"""The gate under concurrent transactions (real ones on PostgreSQL: READ COMMITTED, a pool).

Producers enqueue on a few shared keys, several keys per transaction in both orders; consumers
complete jobs and enqueue follow-ups in the completing transaction. Nothing may ever hold two
active jobs of a key, no key may need the reaper's repair, and each producer's jobs of a key run
in the order it enqueued them.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

from sqlalchemy import func, select

from frontdesk.core.db import Database
from frontdesk.queue.base import ClaimedJob, NewJob
from frontdesk.queue.models import Job
from tests.queue.helpers import all_jobs, make_queue

KEYS = ["k0", "k1", "k2"]
PRODUCERS, TRANSACTIONS, CONSUMERS = 6, 12, 4


async def doubled_keys(db: Database) -> list[str]:
    """Keys with more than one queued-or-running job, in one consistent snapshot."""
    async with db.system_session() as session:
        rows = await session.execute(
            select(Job.ordering_key)
            .where(Job.status.in_(["queued", "running"]), Job.ordering_key.is_not(None))
            .group_by(Job.ordering_key)
            .having(func.count() > 1)
        )
        return [row.ordering_key for row in rows]


async def test_concurrent_enqueues_and_completions_keep_one_head_per_key(db: Database):
    queue = make_queue(db)
    rng = random.Random(7)
    running: set[str] = set()
    ran: dict[tuple[str, str], list[int]] = defaultdict(list)
    violations: list[str] = []
    producing = True

    async def produce(p: int) -> None:
        for t in range(TRANSACTIONS):
            keys = rng.sample(KEYS, 2)  # two keys per transaction, in either order
            async with db.system_tx() as session:
                for key in keys:
                    payload = {"producer": f"p{p}", "seq": t}
                    await queue.enqueue(session, NewJob("k", payload, ordering_key=key))
            await asyncio.sleep(0)

    async def run(job: ClaimedJob) -> None:
        key = job.ordering_key or ""
        if key in running:
            violations.append(f"two jobs of {key} ran at once")
        running.add(key)
        if "producer" in job.payload:
            ran[(job.payload["producer"], key)].append(job.payload["seq"])
        async with db.transaction(db.system_session(), write=False) as session:
            await asyncio.sleep(0.001)
            if "child" not in job.payload and rng.random() < 0.3:
                child = NewJob("k", {"child": True}, ordering_key=rng.choice(KEYS))
                await queue.enqueue(session, child)
            running.discard(key)  # from the completion on, the key's next job may start
            await queue.complete(session, job)

    async def consume(c: int) -> None:
        idle = 0
        while producing or idle < 20:
            claimed = await queue.claim(f"w{c}", 2)
            idle = 0 if claimed else idle + 1
            await asyncio.gather(*(run(job) for job in claimed))
            if not claimed:
                await asyncio.sleep(0.01)

    async def watch() -> None:
        while producing:
            if doubled := await doubled_keys(db):
                violations.append(f"two active jobs of {doubled}")
            await asyncio.sleep(0.005)

    consumers = [asyncio.create_task(consume(c)) for c in range(CONSUMERS)]
    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(produce(p) for p in range(PRODUCERS)))
    producing = False
    await asyncio.gather(*consumers, watcher)

    assert violations == []
    assert queue.repaired == 0, "a key was left with waiting jobs and no head"
    assert {job.status for job in await all_jobs(db)} == {"done"}
    assert sum(len(seqs) for seqs in ran.values()) == PRODUCERS * TRANSACTIONS * 2
    for seqs in ran.values():
        assert seqs == sorted(seqs)
