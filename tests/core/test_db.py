"""Database sessions: read snapshots, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.db import create_engine
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


@pytest.mark.parametrize(("workers", "pool"), [(4, 10), (16, 18)])
def test_a_postgresql_pool_holds_the_workers_connections(workers: int, pool: int) -> None:
    settings = Settings(database_url="postgresql://u:p@db.example/fd", workers=workers)
    assert create_engine(settings).pool.size() == pool  # type: ignore[attr-defined]
