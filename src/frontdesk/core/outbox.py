"""Domain events through a transactional outbox, delivered at least once to subscribers.

:func:`publish` adds the event to the caller's transaction, so an event exists exactly when the
change that caused it was committed. :class:`OutboxDispatcher` claims undelivered events with a
lease (so several processes can run it), hands each to the in-process subscribers, and marks it
delivered only after they all returned: a crash in between delivers it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import JSON, Index, Row, String, Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Base, Database, Executor, IdMixin
from frontdesk.core.ids import new_id
from frontdesk.core.logging import correlation_id, get_logger

log = get_logger("frontdesk.outbox")


class OutboxEvent(IdMixin, Base):
    """A domain event, written in the transaction of the change that caused it."""

    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "claimed_until"),)

    tenant_id: Mapped[str | None] = mapped_column(String(36), index=True, default=None)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    correlation_id: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


@dataclass(frozen=True, slots=True)
class Event:
    """What a subscriber receives."""

    id: str
    tenant_id: str | None
    type: str
    payload: dict[str, Any]
    correlation_id: str | None
    created_at: datetime


Subscriber = Callable[[Event], Awaitable[None]]


async def publish(
    session: Executor, tenant_id: str | None, type: str, payload: dict[str, Any]
) -> str:
    """Add a domain event to the transaction of ``session`` (or of a bare connection)."""
    row = {
        "id": new_id(),
        "tenant_id": tenant_id,
        "type": type,
        "payload": payload,
        "correlation_id": correlation_id.get(),
    }
    if isinstance(session, AsyncConnection):
        await session.execute(insert(OutboxEvent), row)
    else:
        session.add(OutboxEvent(**row))
    return str(row["id"])


# Core statements built once: a statement made per call costs more Python than its SQL costs
# SQLite, and the ORM's bulk-update machinery more again.
_events = cast(Table, OutboxEvent.__table__)
_PENDING = (
    _events.c.delivered_at.is_(None),
    _events.c.claimed_until.is_(None) | (_events.c.claimed_until < bindparam("now")),
)
_NEXT = (
    select(_events.c.id)
    .where(*_PENDING)
    .order_by(_events.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
# The conditions are checked again by the UPDATE: on SQLite the SELECT runs outside the write
# transaction, so another dispatcher may have claimed the events since.
_LEASE = (
    update(_events)
    .where(_events.c.id.in_(bindparam("ids", expanding=True)), *_PENDING)
    .values(claimed_until=bindparam("until"))
    .returning(
        _events.c.id,
        _events.c.tenant_id,
        _events.c.type,
        _events.c.payload,
        _events.c.correlation_id,
        _events.c.created_at,
    )
)
_MARK = (
    update(_events)
    .where(_events.c.id.in_(bindparam("ids", expanding=True)))
    .values(delivered_at=bindparam("at"))
)


class OutboxDispatcher:
    """Delivers committed events to in-process subscribers, at least once."""

    def __init__(self, db: Database, lease_seconds: float = 30.0, batch: int = 200) -> None:
        self._db = db
        self._lease = timedelta(seconds=lease_seconds)
        self._batch = batch
        self._subscribers: list[tuple[str, Subscriber]] = []
        self.wake = asyncio.Event()

    def subscribe(self, prefix: str, subscriber: Subscriber) -> None:
        """Call ``subscriber`` for every event whose type starts with ``prefix`` ('' = all)."""
        self._subscribers.append((prefix, subscriber))

    async def _claim(self, delivered: Sequence[str] = ()) -> list[Row[Any]]:
        """Mark ``delivered`` and lease the next batch, in one write transaction (if any)."""
        now = utcnow()
        session = self._db.system_session()
        async with self._db.transaction(session, write=False):
            ids = (await session.scalars(_NEXT, {"now": now, "limit": self._batch})).all()
            if not ids and not delivered:
                return []  # nothing to write: the SQLite write lock was never taken
            await self._db.begin_write(session, inline=True)
            if delivered:
                await session.execute(_MARK, {"ids": list(delivered), "at": now})
            if not ids:
                return []
            lease = {"ids": list(ids), "now": now, "until": now + self._lease}
            rows = (await session.execute(_LEASE, lease)).all()
        return sorted(rows, key=lambda row: row.id)

    async def _deliver(self, rows: list[Row[Any]]) -> list[str]:
        """Hand each event to its subscribers; the ids of those they all took."""
        delivered: list[str] = []
        for row in rows:
            event = Event(
                row.id, row.tenant_id, row.type, row.payload, row.correlation_id, row.created_at
            )
            try:
                for prefix, subscriber in self._subscribers:
                    if event.type.startswith(prefix):
                        await subscriber(event)
            except Exception:
                log.exception("outbox_subscriber_failed", event_id=row.id, type=row.type)
                continue
            delivered.append(row.id)
        return delivered

    async def dispatch_once(self) -> int:
        """Deliver one batch of pending events and mark it; return how many were delivered."""
        delivered = await self._deliver(await self._claim())
        if delivered:
            await self._mark(delivered)
        return len(delivered)

    async def _mark(self, delivered: Sequence[str]) -> None:
        async with self._db.system_tx(inline=True) as session:
            await session.execute(_MARK, {"ids": list(delivered), "at": utcnow()})

    async def prune(self, older_than: timedelta) -> int:
        """Delete events delivered more than ``older_than`` ago."""
        async with self._db.system_tx() as session:
            result = await session.execute(
                delete(OutboxEvent).where(OutboxEvent.delivered_at < utcnow() - older_than)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def run(self, stop: asyncio.Event, poll_seconds: float) -> None:
        """Dispatch until ``stop`` is set, waking on :attr:`wake` or every ``poll_seconds``.

        A batch is marked delivered by the transaction that claims the next one: one write
        per batch, not two. Marks still pending at a stop are written then; after a crash
        those events are delivered again, as at-least-once allows.
        """
        delivered: list[str] = []
        while not stop.is_set():
            try:
                rows = await self._claim(delivered)
                delivered = await self._deliver(rows)
                if rows:
                    continue
            except Exception:
                log.exception("outbox_dispatch_failed")
            self.wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
            await asyncio.wait(waiters, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()
        if delivered:
            try:
                await self._mark(delivered)
            except Exception:  # they will be delivered again: at least once still holds
                log.exception("outbox_mark_failed", count=len(delivered))
