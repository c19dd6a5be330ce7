"""A circuit breaker per provider and tenant, kept in the database so every process shares it.

closed → (``failures`` consecutive failures) → open → (cool-down passed) → half-open: one caller,
in any process, wins a conditional UPDATE and makes the trial call → closed on success, open
again on failure. Each process caches the state for ``llm_breaker_refresh_seconds``, so the
healthy path costs no query at all; transitions are written at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from frontdesk.core.cache import TTLCache
from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database
from frontdesk.llm.models import LLMBreaker
from frontdesk.settings import Settings

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass(frozen=True, slots=True)
class BreakerState:
    """A snapshot of one breaker."""

    state: str = CLOSED
    failures: int = 0
    open_until: datetime | None = None
    last_error: str | None = None


class BreakerBoard:
    """Every breaker of this process's tenants, backed by the ``llm_breakers`` table."""

    def __init__(
        self, db: Database, settings: Settings, now: Callable[[], datetime] = utcnow
    ) -> None:
        self._db = db
        self._threshold = settings.llm_breaker_failures
        self._cooldown = timedelta(seconds=settings.llm_breaker_cooldown_seconds)
        self._trial = timedelta(seconds=settings.llm_timeout_seconds * 2)
        self._now = now
        # A transition written here wins over a read of the old state still in flight.
        self._cache: TTLCache[tuple[str, str], BreakerState] = TTLCache(
            settings.llm_breaker_refresh_seconds
        )

    async def state(self, tenant_id: str, provider: str) -> BreakerState:
        """The breaker's state, from the cache while it is fresh."""

        async def read() -> BreakerState:
            async with self._db.tenant_session(tenant_id) as session:
                row = await session.scalar(
                    select(LLMBreaker).where(
                        LLMBreaker.tenant_id == tenant_id, LLMBreaker.provider == provider
                    )
                )
            return _snapshot(row)

        return await self._cache.load((tenant_id, provider), read)

    async def allow(self, tenant_id: str, provider: str) -> bool:
        """True when a call may go to ``provider`` now (claims the half-open trial if due)."""
        snapshot = await self.state(tenant_id, provider)
        if snapshot.state == CLOSED:
            return True
        now = self._now()
        if snapshot.open_until is not None and snapshot.open_until > now:
            return False
        return await self._claim_trial(tenant_id, provider, now)

    async def _claim_trial(self, tenant_id: str, provider: str, now: datetime) -> bool:
        async with self._db.tenant_tx(tenant_id) as session:
            result = await session.execute(
                update(LLMBreaker)
                .where(
                    LLMBreaker.tenant_id == tenant_id,
                    LLMBreaker.provider == provider,
                    LLMBreaker.state != CLOSED,
                    LLMBreaker.open_until <= now,
                )
                .values(state=HALF_OPEN, open_until=now + self._trial)
            )
        won = bool(result.rowcount)  # type: ignore[attr-defined]
        self._cache.forget((tenant_id, provider))
        return won

    async def success(self, tenant_id: str, provider: str) -> None:
        """Record a success: a breaker that is not plainly closed closes."""
        snapshot = await self.state(tenant_id, provider)
        if snapshot.state == CLOSED and snapshot.failures == 0:
            return
        async with self._db.tenant_tx(tenant_id) as session:
            await session.execute(
                update(LLMBreaker)
                .where(LLMBreaker.tenant_id == tenant_id, LLMBreaker.provider == provider)
                .values(state=CLOSED, failures=0, open_until=None)
            )
        self._cache.set((tenant_id, provider), BreakerState(last_error=snapshot.last_error))

    async def failure(self, tenant_id: str, provider: str, error: str) -> None:
        """Record a failure: open after the threshold, or at once when it was a trial."""
        for attempt in range(2):
            try:
                snapshot = await self._fail(tenant_id, provider, error[:300])
                break
            except IntegrityError:  # another process created the row first
                if attempt:
                    raise
        self._cache.set((tenant_id, provider), snapshot)

    async def _fail(self, tenant_id: str, provider: str, error: str) -> BreakerState:
        now = self._now()
        async with self._db.tenant_tx(tenant_id) as session:
            row = await session.scalar(
                select(LLMBreaker)
                .where(LLMBreaker.tenant_id == tenant_id, LLMBreaker.provider == provider)
                .with_for_update()
            )
            if row is None:
                row = LLMBreaker(tenant_id=tenant_id, provider=provider, failures=0)
                session.add(row)
            row.failures = (row.failures or 0) + 1
            row.last_error = error
            if row.state == HALF_OPEN or row.failures >= self._threshold:
                row.state = OPEN
                row.open_until = now + self._cooldown
            elif row.state is None:
                row.state = CLOSED
            await session.flush()
            return _snapshot(row)

    async def all(self, tenant_id: str) -> dict[str, BreakerState]:
        """Every stored breaker of a tenant, by provider name (fresh from the database)."""
        async with self._db.tenant_session(tenant_id) as session:
            rows = (
                await session.scalars(select(LLMBreaker).where(LLMBreaker.tenant_id == tenant_id))
            ).all()
        return {row.provider: _snapshot(row) for row in rows}


def _snapshot(row: LLMBreaker | None) -> BreakerState:
    if row is None:
        return BreakerState()
    return BreakerState(row.state or CLOSED, row.failures or 0, row.open_until, row.last_error)
