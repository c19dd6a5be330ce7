"""``frontdesk dlq list/show/replay/discard`` against a migrated SQLite data dir.

The commands call ``asyncio.run`` themselves, so these tests are synchronous.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import Result
from typer.testing import CliRunner

from frontdesk.cli import app
from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database, create_null_pool_engine
from frontdesk.queue.base import NewJob
from frontdesk.queue.models import Job
from frontdesk.queue.sql import SqlQueue
from frontdesk.settings import Settings
from tests.conftest import TEST_MASTER_KEY
from tests.queue.helpers import bury

T = TypeVar("T")


@pytest.fixture
def data_dir(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(sqlite_template, tmp_path / "frontdesk.db")
    monkeypatch.chdir(tmp_path)  # no stray .env file
    monkeypatch.delenv("FRONTDESK_DATABASE_URL", raising=False)
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FRONTDESK_MASTER_KEY", TEST_MASTER_KEY)
    monkeypatch.setenv("FRONTDESK_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("FRONTDESK_LOG_JSON", "true")
    monkeypatch.setenv("COLUMNS", "250")  # wide enough for full ids in tables
    return tmp_path


def with_db(work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(create_null_pool_engine(Settings()))
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def job(job_id: str) -> Job | None:
    async def get(db: Database) -> Job | None:
        async with db.system_session() as session:
            return await session.get(Job, job_id)

    return with_db(get)


def dead(tenant_id: str | None, kind: str = "email.send", **extra: object) -> str:
    return with_db(lambda db: bury(db, tenant_id, kind, **extra))  # type: ignore[arg-type]


def queued() -> str:
    async def add(db: Database) -> str:
        async with db.system_tx() as session:
            return await SqlQueue(db).enqueue(
                session, NewJob("email.send", run_at=utcnow() + timedelta(hours=1))
            )

    return with_db(add)


def dlq(*args: str) -> Result:
    return CliRunner().invoke(app, ["dlq", *args])


def test_list_shows_every_tenants_dead_letters_newest_first(data_dir: Path):
    first = dead("tenant-a", "email.send", error="RuntimeError: smtp down")
    second = dead("tenant-b", "sms.send")
    system = dead(None, "system.cleanup")
    live = queued()

    result = dlq("list")

    assert result.exit_code == 0, result.output
    out = result.stdout
    for job_id in (first, second, system):
        assert job_id in out
    assert live not in out
    assert out.index(system) < out.index(second) < out.index(first)
    assert "tenant-a" in out and "tenant-b" in out
    assert "RuntimeError: smtp down" in out


def test_list_filters_by_kind_and_limits(data_dir: Path):
    email_1 = dead("t", "email.send")
    sms = dead("t", "sms.send")
    email_2 = dead("t", "email.send")

    out = dlq("list", "--kind", "email.send").stdout
    assert email_1 in out and email_2 in out and sms not in out

    out = dlq("list", "--limit", "1").stdout
    assert email_2 in out and email_1 not in out and sms not in out


def test_list_without_dead_letters(data_dir: Path):
    result = dlq("list")
    assert result.exit_code == 0, result.output
    assert "kind" in result.stdout


def test_show_prints_the_job_as_json(data_dir: Path):
    job_id = dead(
        "tenant-a", "email.send", payload={"to": "a@example.com"}, error="ValueError: bad address"
    )

    result = dlq("show", job_id)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "id": job_id,
        "tenant_id": "tenant-a",
        "kind": "email.send",
        "attempts": 5,
        "payload": {"to": "a@example.com"},
        "last_error": "ValueError: bad address",
    }


def test_replay_queues_the_job_again(data_dir: Path):
    job_id = dead("tenant-a")
    other = dead("tenant-a")

    result = dlq("replay", job_id)

    assert result.exit_code == 0, result.output
    assert f"replayed {job_id}" in result.stderr
    row = job(job_id)
    assert row is not None
    assert (row.status, row.attempts, row.finished_at) == ("queued", 0, None)
    assert row.run_at <= utcnow()
    assert job_id not in dlq("list").stdout
    assert (other_row := job(other)) is not None and other_row.status == "dead"


def test_discard_deletes_the_job(data_dir: Path):
    job_id = dead("tenant-a")
    other = dead("tenant-a")

    result = dlq("discard", job_id)

    assert result.exit_code == 0, result.output
    assert f"discarded {job_id}" in result.stderr
    assert job(job_id) is None
    assert job(other) is not None


@pytest.mark.parametrize("command", ["show", "replay", "discard"])
def test_unknown_or_live_job_fails(data_dir: Path, command: str):
    live = queued()
    for job_id in ("00000000-0000-7000-8000-000000000000", live):
        result = dlq(command, job_id)
        assert result.exit_code != 0
    row = job(live)
    assert row is not None and (row.status, row.attempts) == ("queued", 0)
