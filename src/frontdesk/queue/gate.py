"""The ordering-key gate: at most one job per key is ``queued`` or ``running``, the rest wait.

A keyed job is written as ``waiting``. Whatever may hand a key's turn on (an enqueue, the group
commit's inserts, a completion, a death, a dead-letter replay or discard) *touches* the key; just
before its transaction commits, one statement promotes the earliest waiting job (by id) of every
touched key that has no queued or running job. The claim then reads ``queued`` rows alone, in
index order, with no per-row check of what else its key holds.

On PostgreSQL two transactions touching one key must neither both promote (two heads) nor both
miss (a stuck key). Each takes a transaction-scoped advisory lock per key first, in one sorted
order so two transactions never wait on each other in a cycle; under READ COMMITTED the promote
statement, started after the lock, sees what the other side committed. SQLite has one writer at
a time (``Database.begin_write``), so its promote always sees the latest state.

A key belongs to one tenant (every key names a tenant's conversation, thread, instance or
namespace): in a tenant session row-level security shows the promote that tenant's rows only.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Collection, Iterable
from typing import cast

from sqlalchemy import Table, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from frontdesk.queue.models import Job

jobs = cast(Table, Job.__table__)

TOUCHED = "queue_touched_keys"
"""Session.info key: the ordering keys to promote before the transaction commits."""
LOCK_SPACE = 0x6A6F6273  # "jobs": the first half of the two-int advisory lock key


def touch(session: AsyncSession | Session, keys: Iterable[str | None]) -> None:
    """Promote ``keys`` (``None`` ignored) just before ``session``'s transaction commits."""
    wanted = {key for key in keys if key}
    if wanted:
        session.info.setdefault(TOUCHED, set()).update(wanted)


def promote(connection: Connection, keys: Collection[str]) -> int:
    """Queue the earliest waiting job of each of ``keys`` that has none queued or running.

    Returns how many jobs were promoted. Runs on the caller's (sync) connection, in its
    transaction.
    """
    if not keys:
        return 0
    ordered = sorted(set(keys))
    if connection.dialect.name == "postgresql":
        locks = sorted({zlib.crc32(key.encode()) - 2**31 for key in ordered})
        connection.execute(_LOCK, {"space": LOCK_SPACE, "hashes": locks})
        result = connection.execute(_PROMOTE["postgresql"], {"keys": ordered})
    else:
        result = connection.execute(_PROMOTE["sqlite"], {"keys": json.dumps(ordered)})
    return int(result.rowcount)


async def promote_now(session: AsyncSession, keys: Collection[str]) -> int:
    """:func:`promote` ``keys`` in ``session``'s transaction right away; return the count."""
    return await session.run_sync(lambda s: promote(s.connection(), keys))


async def stuck_keys(session: AsyncSession) -> list[str]:
    """Keys with waiting jobs but none queued or running (nothing would ever promote them).

    A loose index scan over ``ix_jobs_ordering`` (status, ordering_key, id): one short probe
    per distinct key that has waiting jobs, however deep its backlog.
    """
    rows = await session.execute(_STUCK)
    return [row.key for row in rows]


@event.listens_for(Session, "before_commit")
def _promote_touched(session: Session) -> None:
    keys = session.info.pop(TOUCHED, None)
    if keys:
        promote(session.connection(), keys)


@event.listens_for(Session, "after_transaction_end")
def _forget_touched(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(TOUCHED, None)


# The head of each free key of :keys gets queued. On PostgreSQL the heads go through
# ANY(ARRAY(...)): computed once, then looked up by primary key (an IN (subquery) there may be
# planned as a hash join over a scan of the whole table).
_PROMOTE = {
    "postgresql": text(
        """
        UPDATE jobs SET status = 'queued'
        WHERE id = ANY(ARRAY(
            SELECT (
                SELECT w.id FROM jobs AS w
                WHERE w.status = 'waiting' AND w.ordering_key = k.key
                ORDER BY w.id LIMIT 1
            )
            FROM unnest(CAST(:keys AS varchar[])) AS k(key)
            WHERE NOT EXISTS (
                SELECT 1 FROM jobs AS a
                WHERE a.status IN ('queued', 'running') AND a.ordering_key = k.key
            )
        ))
        """
    ),
    "sqlite": text(
        """
        UPDATE jobs SET status = 'queued'
        WHERE id IN (
            SELECT (
                SELECT w.id FROM jobs AS w
                WHERE w.status = 'waiting' AND w.ordering_key = k.value
                ORDER BY w.id LIMIT 1
            )
            FROM json_each(:keys) AS k
            WHERE NOT EXISTS (
                SELECT 1 FROM jobs AS a
                WHERE a.status IN ('queued', 'running') AND a.ordering_key = k.value
            )
        )
        """
    ),
}
_LOCK = text("SELECT pg_advisory_xact_lock(:space, h) FROM unnest(CAST(:hashes AS integer[])) AS h")

_STUCK = text(
    """
    WITH RECURSIVE waiting(key) AS (
        SELECT min(ordering_key) FROM jobs WHERE status = 'waiting'
        UNION ALL
        SELECT (
            SELECT min(j.ordering_key) FROM jobs AS j
            WHERE j.status = 'waiting' AND j.ordering_key > waiting.key
        )
        FROM waiting WHERE waiting.key IS NOT NULL
    )
    SELECT key FROM waiting
    WHERE key IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM jobs AS a
        WHERE a.status IN ('queued', 'running') AND a.ordering_key = waiting.key
    )
    """
)
