"""Migration 0014 on a database with a backlog: each key keeps one head, the rest wait."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import inspect

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database, create_engine, create_null_pool_engine
from frontdesk.core.ids import new_id
from frontdesk.core.migrate import downgrade, migrate
from frontdesk.queue.sql import jobs
from frontdesk.settings import Settings
from tests.conftest import base_settings
from tests.queue.helpers import all_jobs

# (name, ordering key, status, due in seconds), inserted in this order (ids ascend).
BACKLOG = [
    ("a1", "a", "queued", 0),
    ("a2", "a", "queued", 0),
    ("a3", "a", "queued", 0),
    ("b0", "b", "queued", 0),  # enqueued first, but committed after b1 started
    ("b1", "b", "running", 0),
    ("b2", "b", "queued", 0),
    ("c0", "c", "dead", 0),
    ("c1", "c", "done", 0),
    ("c2", "c", "queued", 0),
    ("d1", "d", "queued", 60),  # its retry is due in a minute: it keeps the turn
    ("d2", "d", "queued", 0),
    ("u1", None, "queued", 0),
    ("u2", None, "queued", 0),
]
AFTER = {
    "a1": "queued",
    "a2": "waiting",
    "a3": "waiting",
    "b0": "waiting",
    "b1": "running",
    "b2": "waiting",
    "c0": "dead",
    "c1": "done",
    "c2": "queued",
    "d1": "queued",
    "d2": "waiting",
    "u1": "queued",
    "u2": "queued",
}


@pytest.fixture
async def blank(settings: Settings, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings for an empty database of this test's own (SQLite file, or a new PG database)."""
    if settings.is_sqlite:
        yield base_settings(tmp_path / "blank")
        return
    url = settings.db_url.replace("postgresql+asyncpg://", "postgresql://")
    name = url.rsplit("/", 1)[1] + "_migration"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name}")
        await admin.execute(f"CREATE DATABASE {name}")
        yield base_settings(tmp_path, database_url=url.rsplit("/", 1)[0] + "/" + name)
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def insert_backlog(db: Database) -> dict[str, str]:
    """Insert :data:`BACKLOG` (tenant jobs: the migration must see past the tenant wall)."""
    now, names = utcnow(), {}
    rows: list[dict[str, Any]] = []
    for name, key, status, due in BACKLOG:
        names[name] = job_id = new_id()
        rows.append(
            {
                "id": job_id,
                "created_at": now,
                "tenant_id": "t-1",
                "kind": "k",
                "payload": {},
                "priority": 0,
                "ordering_key": key,
                "status": status,
                "attempts": 0,
                "max_attempts": 5,
                "run_at": now + timedelta(seconds=due),
            }
        )
    async with db.system_tx() as session:
        await session.execute(jobs.insert(), rows)
    return names


async def status_by_name(db: Database, names: dict[str, str]) -> dict[str, str]:
    by_id = {job.id: job.status for job in await all_jobs(db)}
    return {name: by_id[job_id] for name, job_id in names.items()}


async def ordering_index(settings: Settings) -> list[str]:
    engine = create_null_pool_engine(settings)
    try:
        async with engine.connect() as conn:
            indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("jobs"))
    finally:
        await engine.dispose()
    [index] = [i for i in indexes if i["name"] == "ix_jobs_ordering"]
    return list(index["column_names"])


async def test_upgrade_leaves_one_head_per_key_and_downgrade_queues_all(blank: Settings):
    await migrate(blank, "0013")
    db = Database(create_engine(blank))
    try:
        names = await insert_backlog(db)
        await migrate(blank)
        assert await status_by_name(db, names) == AFTER
        model = [
            c.name for c in next(i for i in jobs.indexes if i.name == "ix_jobs_ordering").columns
        ]
        assert await ordering_index(blank) == model == ["status", "ordering_key", "id"]

        await downgrade(blank, "0013")
        assert await status_by_name(db, names) == {
            name: "queued" if status == "waiting" else status for name, status in AFTER.items()
        }
        assert await ordering_index(blank) == ["ordering_key", "status", "id"]
    finally:
        await db.dispose()
