"""The one-trip aiosqlite cursor: the stock adapter's results, one thread trip per statement."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.core.db import Database, create_engine
from frontdesk.core.sqlite_driver import OneTripCursor
from tests.conftest import base_settings

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True, nullable=False),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(base_settings(tmp_path))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def test_rows_counts_and_ids_come_back(engine: AsyncEngine):
    async with engine.begin() as conn:
        one = await conn.execute(insert(items).values(name="a"))
        assert one.inserted_primary_key == (1,)
        await conn.execute(insert(items), [{"name": "b"}, {"name": "c"}, {"name": "d"}])
        changed = await conn.execute(
            update(items).where(items.c.id > 2).values(name=items.c.name + "!")
        )
        assert changed.rowcount == 2
        rows = (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all()
        assert rows == ["a", "b", "c!", "d!"]
        assert (await conn.execute(select(items).where(items.c.id == 99))).first() is None
        first_two = await conn.execute(select(items.c.id).order_by(items.c.id))
        assert first_two.fetchmany(2) == [(1,), (2,)] and first_two.fetchall() == [(3,), (4,)]


async def test_driver_errors_are_sqlalchemy_errors_and_roll_back(engine: AsyncEngine):
    async with engine.begin() as conn:
        await conn.execute(insert(items).values(name="a"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(insert(items).values(name="b"))
            await conn.execute(insert(items).values(name="a"))
    async with engine.connect() as conn:
        assert (await conn.execute(select(items.c.name))).scalars().all() == ["a"]


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the calls made on aiosqlite connections' threads from now on."""
    calls: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: object, *args: object) -> object:
        calls.append(getattr(fn, "__name__", "?"))
        return await original(self, fn, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


async def test_each_statement_is_one_trip_to_the_driver_thread(
    engine: AsyncEngine, trips: list[str]
):
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, aiosqlite.Connection)
        assert type(raw.dbapi_connection.cursor()).__name__ == OneTripCursor.__name__
        trips.clear()
        for _ in range(5):
            await conn.execute(text("SELECT 1"))
    # Reads open no SQLite transaction, so neither the commit nor the pool's rollback trips.
    assert trips == ["_run"] * 5


async def test_a_write_costs_its_statements_and_the_commit(engine: AsyncEngine, trips: list[str]):
    async with engine.begin() as conn:
        await conn.execute(insert(items).values(name="a"))
    assert trips == ["_run", "commit"]


async def test_an_open_transaction_is_still_rolled_back(engine: AsyncEngine, trips: list[str]):
    async with engine.connect() as conn:
        await conn.execute(insert(items).values(name="a"))
        await conn.rollback()
        assert trips[-1] == "rollback"
        await conn.execute(insert(items).values(name="b"))
    # Returned to the pool with the insert uncommitted: the pool's rollback undoes it.
    assert trips[-1] == "rollback"
    async with engine.connect() as conn:
        assert (await conn.execute(select(items.c.name))).all() == []


async def test_an_inline_transaction_trips_only_to_begin_and_to_commit(
    engine: AsyncEngine, trips: list[str]
):
    db = Database(engine)
    async with db.tenant_conn("tenant", inline=True) as conn:
        await conn.execute(insert(items), [{"name": "a"}, {"name": "b"}])
        await conn.execute(update(items).where(items.c.name == "b").values(name="c"))
        assert (await conn.execute(select(items.c.name).order_by(items.c.id))).scalars().all() == [
            "a",
            "c",
        ]
    assert trips == ["execute", "commit"]  # BEGIN IMMEDIATE, then the commit that syncs
    trips.clear()
    async with engine.connect() as conn:  # the connection's next use is no longer inline
        assert (await conn.execute(select(func.count()).select_from(items))).scalar() == 2
    assert trips == ["_run"]


async def test_an_inline_transaction_waits_for_sqlite_lock_off_the_event_loop(
    engine: AsyncEngine,
):
    other = sqlite3.connect(str(engine.url.database), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds SQLite's write lock
    db = Database(engine)

    async def write() -> None:
        async with db.tenant_conn("tenant", inline=True) as conn:
            await conn.execute(insert(items).values(name="a"))

    writer = asyncio.create_task(write())
    started = time.monotonic()
    for _ in range(10):
        await asyncio.sleep(0.01)
    assert time.monotonic() - started < 1.0 and not writer.done()  # the loop kept running
    other.execute("COMMIT")
    other.close()
    await writer
    async with engine.connect() as conn:
        assert (await conn.execute(select(items.c.name))).scalars().all() == ["a"]
