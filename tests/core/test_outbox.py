"""The transactional outbox: events exist only if committed, and are delivered at least once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from frontdesk.core.db import Database
from frontdesk.core.logging import correlation_id
from frontdesk.core.outbox import Event, OutboxDispatcher, OutboxEvent, publish
from frontdesk.settings import Settings
from tests.queue.helpers import fresh_database


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    """Our own database handle: no app dispatcher running to take the events first."""
    database = await fresh_database(settings)
    yield database
    await database.dispose()


class Inbox:
    """A subscriber that records what it receives."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def __call__(self, event: Event) -> None:
        self.events.append(event)

    @property
    def types(self) -> list[str]:
        return [e.type for e in self.events]


class Crash(BaseException):
    """The process dies mid-delivery (not an ordinary subscriber error)."""


async def emit(
    db: Database, *types: str, tenant_id: str | None = None, payload: dict[str, Any] | None = None
) -> list[str]:
    async with db.system_tx() as session:
        return [
            await publish(session, tenant_id, t, payload or {"n": i}) for i, t in enumerate(types)
        ]


async def undelivered(db: Database) -> list[str]:
    async with db.system_session() as session:
        return list(
            (
                await session.scalars(
                    select(OutboxEvent.type)
                    .where(OutboxEvent.delivered_at.is_(None))
                    .order_by(OutboxEvent.id)
                )
            ).all()
        )


async def test_event_of_a_rolled_back_transaction_is_never_delivered(db: Database):
    dispatcher, inbox = OutboxDispatcher(db), Inbox()
    dispatcher.subscribe("", inbox)
    async with db.system_session() as session:
        await publish(session, None, "ticket.created", {"id": 1})
        await session.flush()
        await session.rollback()

    assert await dispatcher.dispatch_once() == 0
    assert inbox.events == []
    assert await undelivered(db) == []


async def test_committed_events_reach_matching_subscribers_in_order(db: Database):
    dispatcher = OutboxDispatcher(db)
    tickets, everything, billing = Inbox(), Inbox(), Inbox()
    dispatcher.subscribe("ticket.", tickets)
    dispatcher.subscribe("", everything)
    dispatcher.subscribe("billing.", billing)

    token = correlation_id.set("req-77")
    try:
        first = await emit(
            db, "ticket.created", "user.signed_up", tenant_id="t-1", payload={"id": 1}
        )
        second = await emit(db, "ticket.closed", tenant_id="t-2", payload={"id": 2})
    finally:
        correlation_id.reset(token)

    assert await dispatcher.dispatch_once() == 3
    assert tickets.types == ["ticket.created", "ticket.closed"]
    assert everything.types == ["ticket.created", "user.signed_up", "ticket.closed"]
    assert [e.id for e in everything.events] == first + second
    assert billing.events == []
    created = tickets.events[0]
    assert (created.tenant_id, created.payload, created.correlation_id) == (
        "t-1",
        {"id": 1},
        "req-77",
    )
    assert created.created_at.tzinfo is not None

    # Delivered means delivered: nothing comes twice.
    assert await dispatcher.dispatch_once() == 0
    assert len(everything.events) == 3
    assert await undelivered(db) == []


async def test_event_published_in_a_tenant_transaction_is_delivered(db: Database):
    dispatcher, inbox = OutboxDispatcher(db), Inbox()
    dispatcher.subscribe("", inbox)
    async with db.tenant_tx("tenant-a") as session:
        await publish(session, "tenant-a", "contact.created", {"id": "c1"})
    assert await dispatcher.dispatch_once() == 1
    assert [(e.tenant_id, e.payload) for e in inbox.events] == [("tenant-a", {"id": "c1"})]


async def test_failing_subscriber_gets_the_event_again(db: Database):
    dispatcher = OutboxDispatcher(db, lease_seconds=0.05)
    steady, fails_once = Inbox(), Inbox()
    broken = {"ticket.closed"}

    async def flaky(event: Event) -> None:
        await fails_once(event)
        if event.type in broken:
            broken.discard(event.type)
            raise RuntimeError("webhook timed out")

    dispatcher.subscribe("", steady)
    dispatcher.subscribe("ticket.", flaky)
    await emit(db, "ticket.created", "ticket.closed", "ticket.reopened")

    assert await dispatcher.dispatch_once() == 2
    assert await undelivered(db) == ["ticket.closed"]

    await asyncio.sleep(0.08)
    assert await dispatcher.dispatch_once() == 1
    assert await undelivered(db) == []
    # At least once: every subscriber got every event, the failed one twice.
    assert fails_once.types == [
        "ticket.created",
        "ticket.closed",
        "ticket.reopened",
        "ticket.closed",
    ]
    assert steady.types.count("ticket.closed") == 2
    assert set(steady.types) == {"ticket.created", "ticket.closed", "ticket.reopened"}


async def test_unacknowledged_events_are_redelivered_after_the_claim_lease(db: Database):
    crashing = OutboxDispatcher(db, lease_seconds=0.4)

    async def die(event: Event) -> None:
        raise Crash

    crashing.subscribe("", die)
    await emit(db, "a.one", "a.two")
    with pytest.raises(Crash):
        await crashing.dispatch_once()

    survivor, inbox = OutboxDispatcher(db, lease_seconds=0.4), Inbox()
    survivor.subscribe("", inbox)
    # While the first claim holds, no one else delivers the events.
    assert await survivor.dispatch_once() == 0
    assert inbox.events == []

    await asyncio.sleep(0.45)
    assert await survivor.dispatch_once() == 2
    assert inbox.types == ["a.one", "a.two"]
    assert await undelivered(db) == []


async def test_concurrent_dispatchers_deliver_each_event_once(db: Database):
    inbox = Inbox()
    dispatchers = [OutboxDispatcher(db, batch=5) for _ in range(4)]
    for dispatcher in dispatchers:
        dispatcher.subscribe("", inbox)
    ids = await emit(db, *[f"e.{n}" for n in range(40)])

    delivered = 0
    while batch := sum(await asyncio.gather(*[d.dispatch_once() for d in dispatchers])):
        delivered += batch
    assert delivered == 40
    assert sorted(e.id for e in inbox.events) == sorted(ids)


async def test_dispatch_delivers_one_batch_at_a_time(db: Database):
    dispatcher, inbox = OutboxDispatcher(db, batch=3), Inbox()
    dispatcher.subscribe("", inbox)
    await emit(db, *[f"e.{n}" for n in range(7)])
    assert [await dispatcher.dispatch_once() for _ in range(4)] == [3, 3, 1, 0]
    assert inbox.types == [f"e.{n}" for n in range(7)]


async def test_run_delivers_until_stopped(db: Database):
    dispatcher, inbox = OutboxDispatcher(db), Inbox()
    dispatcher.subscribe("", inbox)
    await emit(db, "before.start")
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop, poll_seconds=5.0))

    deadline = time.monotonic() + 5
    while len(inbox.events) < 1:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    await emit(db, "while.running")
    dispatcher.wake.set()  # no waiting for the 5 s poll
    while len(inbox.events) < 2:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)

    stop.set()
    await asyncio.wait_for(task, 2)
    assert inbox.types == ["before.start", "while.running"]


async def test_run_writes_once_per_batch_and_never_delivers_twice(db: Database):
    """Each batch is marked by the transaction that claims the next: n batches, n + 1 writes."""
    dispatcher, inbox = OutboxDispatcher(db, lease_seconds=0.05, batch=2), Inbox()
    dispatcher.subscribe("", inbox)
    await emit(db, "a.1", "a.2", "a.3")
    writes = 0
    begin_write = db.begin_write

    async def counted(session: Any, **options: Any) -> None:
        nonlocal writes
        writes += 1
        await begin_write(session, **options)

    db.begin_write = counted  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop, poll_seconds=0.02))
    deadline = time.monotonic() + 5
    while await undelivered(db):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # past the claim lease, idle polls in between: nothing comes back
    stop.set()
    await asyncio.wait_for(task, 2)
    assert inbox.types == ["a.1", "a.2", "a.3"]
    assert writes == 3  # claim 1–2; mark them + claim 3; mark 3 (idle polls write nothing)
