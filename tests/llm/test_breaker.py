"""The breaker board's cache: a transition written here wins over a read still in flight."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.db import Database
from frontdesk.llm.breaker import CLOSED, OPEN, BreakerBoard
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx


class PausedReads:
    """The database, but a session opened directly holds its first query's answer back."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.read, self.go_on = asyncio.Event(), asyncio.Event()

    def tenant_session(self, tenant_id: str) -> AsyncSession:
        session = self.db.tenant_session(tenant_id)
        scalar = session.scalar

        async def scalar_then_pause(*args: Any, **kwargs: Any) -> Any:
            row = await scalar(*args, **kwargs)
            self.read.set()
            await self.go_on.wait()
            return row

        session.scalar = scalar_then_pause  # type: ignore[method-assign]
        return session

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


async def test_an_opened_breaker_is_not_overwritten_by_a_read_of_it_closed(
    runtime: Runtime, tenant: TenantCtx
) -> None:
    db = PausedReads(runtime.db)
    settings = runtime.settings.model_copy(update={"llm_breaker_refresh_seconds": 60.0})
    board = BreakerBoard(db, settings)  # type: ignore[arg-type]
    read = asyncio.create_task(board.state(tenant.id, "primary"))
    await db.read.wait()  # it read "no failures yet"
    for _ in range(settings.llm_breaker_failures):
        await board.failure(tenant.id, "primary", "HTTP 503")
    db.go_on.set()
    assert (await read).state == CLOSED  # what it read, before the failures
    assert (await board.state(tenant.id, "primary")).state == OPEN
    assert not await board.allow(tenant.id, "primary")
