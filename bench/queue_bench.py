"""Queue throughput, enqueue → complete, on SQLite (and PostgreSQL when configured).

For each worker layout: enqueue N no-op jobs through ``SqlQueue.enqueue`` (batches, one
transaction each), then run ``frontdesk.queue.worker.Worker`` with a handler that does nothing
until every job is done or ``--limit`` seconds passed, and report jobs/s (at a backlog of about
N, since the limit usually comes first). The baseline, in the same run and with the same driver
(aiosqlite / asyncpg, no SQLAlchemy), inserts N rows into a minimal table in the same batches and
then updates each row in its own transaction, from the same number of concurrent tasks.

Run: ``.venv/bin/python bench/queue_bench.py`` (SQLite in a temp dir); with
``FRONTDESK_BENCH_POSTGRES_URL=postgresql://…`` set it also runs on PostgreSQL, after dropping and
recreating that database's ``public`` schema. See ``--help``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg
import uvloop
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from common import table, verdict
from frontdesk.core.db import Database, create_engine
from frontdesk.core.ids import new_id
from frontdesk.core.logging import configure_logging
from frontdesk.core.metrics import Metrics
from frontdesk.core.migrate import migrate
from frontdesk.queue.base import ClaimedJob, NewJob
from frontdesk.queue.models import Job
from frontdesk.queue.sql import SqlQueue
from frontdesk.queue.worker import Worker
from frontdesk.settings import Settings

KIND = "bench.noop"
TARGET_PG = 2000.0  # jobs/s on PostgreSQL with 4 workers


@dataclass(frozen=True)
class Layout:
    """How the jobs are worked: ``workers`` Worker instances of ``tasks`` concurrent jobs each."""

    name: str
    workers: int
    tasks: int
    ordering_keys: int = 0  # 0: no ordering key; else jobs spread over that many keys
    processes: int = 0  # >0: the scaled shape, that many `frontdesk worker`-like OS processes

    @property
    def concurrency(self) -> int:
        """Jobs in flight at most."""
        return max(self.processes, 1) * self.workers * self.tasks


LAYOUTS = [
    Layout("1 Worker x 4 tasks", 1, 4),
    Layout("4 Workers x 1 task", 4, 1),
    Layout("1 Worker x 16 tasks", 1, 16),
    Layout("1 Worker x 4 tasks, 64 ordering keys", 1, 4, ordering_keys=64),
]
# PostgreSQL only (SQLite has one writer): the scaled shape, where workers are processes.
PROCESS_LAYOUTS = [Layout("4 worker processes x 4 tasks", 1, 4, processes=4)]


@dataclass
class Result:
    """One run: ``n`` jobs (rows) written in ``enqueue_s``; ``done`` worked in ``process_s``."""

    name: str
    n: int
    enqueue_s: float
    done: int
    process_s: float
    failed: int = 0
    cpu_s: float = 0.0  # this process's CPU time while working the jobs off

    @property
    def cpu_ms_per_job(self) -> float:
        """Milliseconds of this process's CPU per job done (driver, SQLAlchemy, queue, loop)."""
        return 1000 * self.cpu_s / self.done if self.done else 0.0

    @property
    def enqueue_rate(self) -> float:
        """Jobs enqueued per second."""
        return self.n / self.enqueue_s

    @property
    def process_rate(self) -> float:
        """Jobs taken from queued to done per second."""
        return self.done / self.process_s

    @property
    def pipeline_rate(self) -> float:
        """Jobs per second through enqueue then claim → done, one after the other."""
        return 1 / (1 / self.enqueue_rate + 1 / self.process_rate)


def settings_for(data_dir: Path, postgres_url: str | None) -> Settings:
    """Default settings, quiet logs; SQLite under ``data_dir`` unless a PostgreSQL URL is given.

    ``workers`` is the largest layout's task count, as ``frontdesk worker --concurrency``
    would set it: on PostgreSQL the engine's pool then holds that many connections (+2).
    """
    return Settings(
        data_dir=data_dir,
        database_url=postgres_url,
        log_level="WARNING",
        master_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        workers=max(layout.workers * layout.tasks for layout in LAYOUTS),
    )


async def reset_postgres(settings: Settings) -> None:
    """Drop and recreate the public schema (the bench owns this database)."""
    engine = create_async_engine(settings.db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def enqueue_all(db: Database, queue: SqlQueue, n: int, batch: int, keys: int) -> float:
    """Enqueue ``n`` no-op jobs, ``batch`` per transaction; return the seconds it took."""
    started = time.perf_counter()
    for first in range(0, n, batch):
        async with db.system_tx() as session:
            for i in range(first, min(n, first + batch)):
                key = f"bench:{i % keys}" if keys else None
                await queue.enqueue(session, NewJob(kind=KIND, ordering_key=key))
    return time.perf_counter() - started


async def run_layout(
    db: Database, settings: Settings, layout: Layout, n: int, batch: int, limit_s: float
) -> Result:
    """Enqueue ``n`` jobs, work them off with ``layout``, check every one is done."""
    async with db.system_tx() as session:
        await session.execute(Job.__table__.delete())
    queue = SqlQueue(
        db, lease_seconds=settings.queue_lease_seconds, max_attempts=settings.queue_max_attempts
    )
    enqueue_s = await enqueue_all(db, queue, n, batch, layout.ordering_keys)
    if db.dialect == "postgresql":
        # What autovacuum does on a running system: a table created moments ago was never
        # analyzed, and the planner would take the backlog for a few rows.
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE jobs"))

    if layout.processes:
        return await run_processes(db, settings, layout, n, enqueue_s, limit_s)
    seen: set[str] = set()
    all_seen = asyncio.Event()

    async def noop(_session: AsyncSession, job: ClaimedJob) -> None:
        seen.add(job.id)
        if len(seen) == n:
            all_seen.set()

    metrics = Metrics()
    workers = [
        Worker(
            db,
            queue,
            {KIND: noop},
            concurrency=layout.tasks,
            batch=settings.queue_batch,
            poll_seconds=settings.queue_poll_seconds,
            lease_seconds=settings.queue_lease_seconds,
            metrics=metrics,
        )
        for _ in range(layout.workers)
    ]
    stop = asyncio.Event()
    started, cpu_started = time.perf_counter(), time.process_time()
    runs = [asyncio.create_task(w.run(stop)) for w in workers]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_seen.wait(), timeout=limit_s)
    stop.set()
    await asyncio.gather(*runs)
    process_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_started

    async with db.system_session() as session:
        done = await session.scalar(select(func.count()).where(Job.status == "done"))
    failed = sum(
        s.value
        for m in metrics.jobs.collect()
        for s in m.samples
        if s.name.endswith("_total") and s.labels.get("outcome") != "done"
    )
    return Result(layout.name, n, enqueue_s, done or 0, process_s, failed=int(failed), cpu_s=cpu_s)


async def run_processes(
    db: Database, settings: Settings, layout: Layout, n: int, enqueue_s: float, limit_s: float
) -> Result:
    """Work the backlog off with ``layout.processes`` worker processes (this script, re-run).

    Each child starts, connects, says ``ready`` and waits for ``go``: the clock runs from the
    ``go``, and each child reports the CPU it used from then until SIGTERM.
    """
    argv = [sys.executable, __file__, "--worker-process", str(settings.database_url)]
    argv += ["--tasks", str(layout.tasks)]
    pipes = {"stdin": asyncio.subprocess.PIPE, "stdout": asyncio.subprocess.PIPE}
    children = [
        await asyncio.create_subprocess_exec(*argv, **pipes) for _ in range(layout.processes)
    ]
    for child in children:
        assert child.stdout is not None and await child.stdout.readline() == b"ready\n"
    started = time.perf_counter()
    for child in children:
        assert child.stdin is not None
        child.stdin.write(b"go\n")
    done = 0
    while done < n and time.perf_counter() - started < limit_s:
        await asyncio.sleep(0.05)
        async with db.system_session() as session:
            done = await session.scalar(select(func.count()).where(Job.status == "done")) or 0
    process_s = time.perf_counter() - started
    cpu_s = 0.0
    for child in children:
        child.send_signal(signal.SIGTERM)
        assert child.stdout is not None
        cpu_s += float((await child.stdout.readline()).decode() or 0)
        await child.wait()
    async with db.system_session() as session:
        done = await session.scalar(select(func.count()).where(Job.status == "done")) or 0
        failed = await session.scalar(select(func.count()).where(Job.attempts > 1)) or 0
    return Result(layout.name, n, enqueue_s, done, process_s, failed=failed, cpu_s=cpu_s)


async def worker_process(url: str, tasks: int) -> None:
    """One worker process of :func:`run_processes`: no-op jobs from ``go`` until SIGTERM."""
    settings = settings_for(Path(tempfile.gettempdir()), url)
    db = Database(create_engine(settings))
    queue = SqlQueue(
        db, lease_seconds=settings.queue_lease_seconds, max_attempts=settings.queue_max_attempts
    )

    async def noop(_session: AsyncSession, _job: ClaimedJob) -> None:
        return None

    worker = Worker(
        db,
        queue,
        {KIND: noop},
        concurrency=tasks,
        batch=settings.queue_batch,
        poll_seconds=settings.queue_poll_seconds,
        lease_seconds=settings.queue_lease_seconds,
        metrics=Metrics(),
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with db.system_session() as session:  # connected before the clock starts
        await session.execute(text("SELECT 1"))
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    cpu = time.process_time()
    try:
        await worker.run(stop)
    finally:
        print(time.process_time() - cpu, flush=True)
        await db.dispose()


async def baseline(settings: Settings, n: int, batch: int, tasks: int, limit_s: float) -> Result:
    """Insert ``n`` rows in batches, then update each in its own transaction, raw driver."""
    ids = [new_id() for _ in range(n)]
    if settings.is_sqlite:
        return await _baseline_sqlite(settings, ids, batch, tasks, limit_s)
    return await _baseline_postgres(settings, ids, batch, tasks, limit_s)


async def _updates(
    update: Callable[[Any, str], Awaitable[None]], conns: list[Any], ids: list[str], limit_s: float
) -> tuple[int, float]:
    """``update(conn, id)`` every id, one task per connection, for at most ``limit_s``.

    Return the rows updated and the seconds it took.
    """
    todo = iter(ids)
    done = 0

    async def updater(conn: Any) -> None:
        nonlocal done
        for row_id in todo:
            await update(conn, row_id)
            done += 1

    started = time.perf_counter()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(updater(c) for c in conns)), limit_s)
    return done, time.perf_counter() - started


async def _baseline_sqlite(
    settings: Settings, ids: list[str], batch: int, tasks: int, limit_s: float
) -> Result:
    path = settings.data_dir / "baseline.db"
    conns = [await aiosqlite.connect(path, isolation_level=None) for _ in range(tasks)]
    try:
        for conn in conns:
            for pragma in (
                "journal_mode=WAL",
                f"synchronous={settings.sqlite_synchronous}",
                "busy_timeout=10000",
            ):
                await conn.execute(f"PRAGMA {pragma}")
        first = conns[0]
        await first.execute(
            "CREATE TABLE rows (id TEXT PRIMARY KEY, status TEXT NOT NULL, "
            "payload TEXT NOT NULL, finished_at REAL)"
        )
        started = time.perf_counter()
        for i in range(0, len(ids), batch):
            await first.execute("BEGIN")
            await first.executemany(
                "INSERT INTO rows (id, status, payload) VALUES (?, ?, ?)",
                [(x, "queued", "{}") for x in ids[i : i + batch]],
            )
            await first.execute("COMMIT")
        insert_s = time.perf_counter() - started

        async def update(conn: aiosqlite.Connection, row_id: str) -> None:
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute(
                "UPDATE rows SET status = 'done', finished_at = ? WHERE id = ?",
                (time.time(), row_id),
            )
            await conn.execute("COMMIT")

        done, seconds = await _updates(update, conns, ids, limit_s)
        return Result(
            f"baseline: raw aiosqlite, {tasks} connections", len(ids), insert_s, done, seconds
        )
    finally:
        for conn in conns:
            await conn.close()


async def _baseline_postgres(
    settings: Settings, ids: list[str], batch: int, tasks: int, limit_s: float
) -> Result:
    dsn = settings.db_url.replace("postgresql+asyncpg://", "postgresql://")
    conns: list[Any] = [await asyncpg.connect(dsn) for _ in range(tasks)]
    try:
        first = conns[0]
        await first.execute(
            "CREATE TABLE rows (id TEXT PRIMARY KEY, status TEXT NOT NULL, "
            "payload JSONB NOT NULL, finished_at TIMESTAMPTZ)"
        )
        started = time.perf_counter()
        for i in range(0, len(ids), batch):
            async with first.transaction():
                await first.executemany(
                    "INSERT INTO rows (id, status, payload) VALUES ($1, 'queued', '{}')",
                    [(x,) for x in ids[i : i + batch]],
                )
        insert_s = time.perf_counter() - started

        async def update(conn: Any, row_id: str) -> None:
            async with conn.transaction():
                await conn.execute(
                    "UPDATE rows SET status = 'done', finished_at = now() WHERE id = $1", row_id
                )

        done, seconds = await _updates(update, conns, ids, limit_s)
        return Result(
            f"baseline: raw asyncpg, {tasks} connections", len(ids), insert_s, done, seconds
        )
    finally:
        for conn in conns:
            await conn.close()


async def bench_backend(label: str, settings: Settings, args: argparse.Namespace) -> None:
    """Every layout, then the baseline, on one database; print the table."""
    if not settings.is_sqlite:
        await reset_postgres(settings)
    await migrate(settings)
    db = Database(create_engine(settings))
    results = []
    try:
        layouts = LAYOUTS[: args.layouts] + ([] if settings.is_sqlite else PROCESS_LAYOUTS)
        for layout in layouts:
            print(f"  {label}: {layout.name} ...", flush=True)
            results.append(
                await run_layout(db, settings, layout, args.jobs, args.batch, args.limit)
            )
    finally:
        await db.dispose()
    print(f"  {label}: baseline ...", flush=True)
    base = await baseline(settings, args.jobs, args.batch, 4, args.limit)
    rows: list[list[object]] = []
    for r in [*results, base]:
        ratio = "" if r is base else f"{r.process_rate / base.process_rate:.3f}"
        rows.append(
            [
                r.name,
                f"{r.enqueue_rate:,.0f}",
                f"{r.done:,} in {r.process_s:.1f} s",
                f"{r.process_rate:,.0f}",
                ratio,
                f"{r.pipeline_rate:,.0f}",
                "" if r is base else r.failed,
                "" if r is base else f"{r.cpu_ms_per_job:.2f}",
            ]
        )
    print()
    print(
        table(
            f"Queue on {label}: {args.jobs:,} no-op jobs per layout, enqueued {args.batch} "
            f"per transaction; work stops after {args.limit:g} s (rates in jobs/s)",
            [
                "layout",
                "enqueue",
                "done",
                "claim->done",
                "ratio vs base",
                "enqueue->done",
                "failed",
                "CPU ms/job",
            ],
            rows,
        )
    )
    four = results[0]
    target = f"target >= {TARGET_PG:,.0f} jobs/s claim->done with 4 workers on PostgreSQL"
    if settings.is_sqlite:
        print(f"({target}; on SQLite: {four.process_rate:,.0f})")
    else:
        best = max(results, key=lambda r: r.process_rate)
        rate = best.process_rate
        print(f"{target}: {rate:,.0f} ({best.name}) {verdict(rate >= TARGET_PG)}")
    print()


async def main_async(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="frontdesk-queue-bench-"))
    try:
        if not args.no_sqlite:
            await bench_backend("SQLite", settings_for(folder, None), args)
        url = os.environ.get("FRONTDESK_BENCH_POSTGRES_URL")
        if url:
            await bench_backend("PostgreSQL", settings_for(folder, url), args)
        else:
            print("PostgreSQL skipped: set FRONTDESK_BENCH_POSTGRES_URL to run it")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    configure_logging("WARNING", json=False)
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500, help="jobs per enqueue transaction")
    parser.add_argument(
        "--layouts",
        type=int,
        default=len(LAYOUTS),
        help=f"run the first N of the {len(LAYOUTS)} layouts",
    )
    parser.add_argument(
        "--limit",
        type=float,
        default=8,
        help="seconds each layout (and the baseline) may work before it stops",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--worker-process", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--tasks", type=int, default=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker_process:
        uvloop.run(worker_process(args.worker_process, args.tasks))
        return 0
    uvloop.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
