"""Usage records written behind the call: batched, off the answer's path.

A finished call hands its :class:`LLMUsage` row to :class:`UsageWriter` and returns at once; a
background task writes whatever has accumulated (it waits 50 ms after the first row, so a
burst shares one commit) in one transaction per tenant (the row, the
month's spend, the 80% alert). Budget checks add the costs not yet written, so a process never
overspends because of the delay. A crash loses at most the rows of the batch in flight.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database
from frontdesk.core.logging import get_logger
from frontdesk.llm import budgets
from frontdesk.llm.models import LLMUsage

log = get_logger("frontdesk.llm.usage")


class UsageWriter:
    """Queues usage rows and writes them in the background, grouped per tenant."""

    def __init__(
        self,
        db: Database,
        alert_ratio: float,
        now: Callable[[], datetime] = utcnow,
        gather_seconds: float = 0.05,
    ) -> None:
        self._db = db
        self._gather = gather_seconds
        self._alert_ratio = alert_ratio
        self._now = now
        self._pending: list[tuple[LLMUsage, int | None]] = []
        self._unwritten: dict[str, int] = defaultdict(int)
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None

    def add(self, usage: LLMUsage, budget_pusd: int | None) -> None:
        """Queue one row (``budget_pusd`` decides the alert when it is written)."""
        self._pending.append((usage, budget_pusd))
        self._unwritten[usage.tenant_id] += usage.cost_pusd
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._lock = asyncio.Lock()
            self._task = asyncio.create_task(self._run())
        assert self._wake is not None
        self._wake.set()

    def unwritten(self, tenant_id: str) -> int:
        """Pico-dollars of this tenant's calls not yet in the database."""
        return self._unwritten.get(tenant_id, 0)

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            # Let the rows of a burst gather: one transaction for many calls.
            await asyncio.sleep(self._gather)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                log.exception("llm_usage_write_failed")
                await asyncio.sleep(1.0)
                self._wake.set()

    async def flush(self) -> None:
        """Write everything queued so far (rows of a failed write stay queued)."""
        if self._lock is None:
            return
        async with self._lock:
            taken, self._pending = self._pending, []
            by_tenant: dict[str, list[tuple[LLMUsage, int | None]]] = defaultdict(list)
            for usage, budget in taken:
                by_tenant[usage.tenant_id].append((usage, budget))
            for tenant_id, rows in by_tenant.items():
                try:
                    await self._write(tenant_id, rows)
                except Exception:
                    self._pending[:0] = rows
                    raise

    async def _write(self, tenant_id: str, rows: list[tuple[LLMUsage, int | None]]) -> None:
        cost = sum(usage.cost_pusd for usage, _ in rows)
        async with self._db.tenant_tx(tenant_id) as session:
            session.add_all([usage for usage, _ in rows])
            await budgets.add_spend(
                session, tenant_id, cost, rows[-1][1], self._alert_ratio, self._now()
            )
        self._unwritten[tenant_id] -= cost

    async def aclose(self) -> None:
        """Write what is left and stop the background task."""
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
