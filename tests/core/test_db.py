"""Database sessions and bare tenant connections, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.db import create_engine, write_pending
from frontdesk.core.outbox import OutboxEvent, publish
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.tenants.models import Tenant
from tests.conftest import TenantCtx


async def _rename(runtime: Runtime, tenant_id: str, name: str) -> None:
    async with runtime.db.system_tx() as session:
        await session.execute(update(Tenant).where(Tenant.id == tenant_id).values(name=name))


async def _name(session: AsyncSession, tenant_id: str) -> str:
    return str(await session.scalar(select(Tenant.name).where(Tenant.id == tenant_id)))


async def test_a_snapshot_reads_the_same_state_across_queries(runtime: Runtime, tenant: TenantCtx):
    await _rename(runtime, tenant.id, "before")
    async with runtime.db.system_session() as session:
        await runtime.db.snapshot(session)
        assert await _name(session, tenant.id) == "before"
        await _rename(runtime, tenant.id, "after")
        assert await _name(session, tenant.id) == "before"
    async with runtime.db.system_session() as session:
        assert await _name(session, tenant.id) == "after"


async def test_without_a_snapshot_each_query_sees_the_latest_commit(
    runtime: Runtime, tenant: TenantCtx
):
    """Why pages read in several queries take a snapshot."""
    await _rename(runtime, tenant.id, "before")
    async with runtime.db.system_session() as session:
        assert await _name(session, tenant.id) == "before"
        await _rename(runtime, tenant.id, "after")
        assert await _name(session, tenant.id) == "after"


async def _events(runtime: Runtime, tenant_id: str) -> list[str]:
    async with runtime.db.system_session() as session:
        stmt = select(OutboxEvent.type).where(
            OutboxEvent.tenant_id == tenant_id, OutboxEvent.type.startswith("test.")
        )
        return list((await session.scalars(stmt)).all())


async def test_a_tenant_connection_commits_on_success_and_keeps_nothing_on_error(
    runtime: Runtime, tenant: TenantCtx
):
    with pytest.raises(RuntimeError):
        async with runtime.db.tenant_conn(tenant.id) as conn:
            await publish(conn, tenant.id, "test.lost", {})
            raise RuntimeError("halfway")
    async with runtime.db.tenant_conn(tenant.id) as conn:
        await publish(conn, tenant.id, "test.kept", {"n": 1})
    assert await _events(runtime, tenant.id) == ["test.kept"]


async def test_tenant_connections_write_one_at_a_time_on_sqlite(
    runtime: Runtime, tenant: TenantCtx
):
    """They take the process's write lock, as write sessions do: no waiting on SQLite's own."""
    async with runtime.db.tenant_conn(tenant.id):
        lock = runtime.db._write_lock
        assert lock is None or lock.locked()
    assert lock is None or not lock.locked()


@pytest.mark.parametrize(("workers", "pool"), [(4, 10), (16, 18)])
def test_a_postgresql_pool_holds_the_workers_connections(workers: int, pool: int) -> None:
    settings = Settings(database_url="postgresql://u:p@db.example/fd", workers=workers)
    assert create_engine(settings).pool.size() == pool  # type: ignore[attr-defined]


async def test_sqlite_connections_use_the_configured_pragmas(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, sqlite_wal_autocheckpoint=123)
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            pragmas = [
                (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "wal_autocheckpoint")
            ]
    finally:
        await engine.dispose()
    assert pragmas == ["wal", 2, 123]  # synchronous 2: FULL


async def test_json_columns_keep_every_value_the_stdlib_kept(runtime: Runtime, tenant: TenantCtx):
    # orjson writes JSON columns; what it refuses (an integer beyond 64 bits) goes by the stdlib.
    payload = {"big": 2**70, "name": "Zoë 🙂", 3: "three", "nested": [1.5, None, True, -(2**63)]}
    async with runtime.db.system_tx() as session:
        event_id = await publish(session, tenant.id, "test.json", payload)
    async with runtime.db.system_tx() as session:
        stored = await session.scalar(select(OutboxEvent.payload).where(OutboxEvent.id == event_id))
    assert stored == {**{k: v for k, v in payload.items() if k != 3}, "3": "three"}


async def test_datetimes_come_back_aware_utc_and_compare_as_stored_before(
    runtime: Runtime, tenant: TenantCtx
):
    written = datetime(2026, 1, 2, 5, 4, 5, 7, tzinfo=timezone(timedelta(hours=2)))
    async with runtime.db.system_tx() as session:
        session.add(
            OutboxEvent(tenant_id=tenant.id, type="test.at", payload={}, created_at=written)
        )
    async with runtime.db.system_session() as session:
        stmt = select(OutboxEvent.created_at).where(OutboxEvent.type == "test.at")
        at = await session.scalar(stmt)
        assert at == written and at is not None and at.utcoffset() == timedelta(0)
        for bound, count in [(written, 1), (written + timedelta(microseconds=1), 0)]:
            since = stmt.where(OutboxEvent.created_at >= bound)
            assert len((await session.scalars(since)).all()) == count
        if runtime.db.dialect == "sqlite":
            # The text SQLAlchemy's own SQLite DATETIME wrote, so older rows compare alike.
            raw = await session.scalar(
                text("SELECT created_at FROM outbox_events WHERE type = 'test.at'")
            )
            assert raw == "2026-01-02 03:04:05.000007"
            literal = stmt.where(OutboxEvent.created_at == written).compile(
                dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}
            )
            assert "'2026-01-02 03:04:05.000007'" in str(literal)


async def test_write_pending_writes_added_and_changed_rows_once(
    runtime: Runtime, tenant: TenantCtx
):
    async with runtime.db.system_tx() as session:
        row = await session.get(Tenant, tenant.id)
        assert row is not None
        before = row.updated_at
        row.name = "Renamed"
        session.add(OutboxEvent(tenant_id=tenant.id, type="test.pending", payload={"n": 1}))
        await write_pending(session)
        assert not session.new and not session.dirty  # the commit writes nothing again
    async with runtime.db.system_session() as session:
        renamed = await session.get(Tenant, tenant.id)
        assert renamed is not None and renamed.name == "Renamed"
        assert renamed.updated_at > before  # the column's onupdate, as a flush would
    assert await _events(runtime, tenant.id) == ["test.pending"]
