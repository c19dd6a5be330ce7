"""Group commit: many small independent inserts share one transaction.

Each caller waits until the transaction holding its rows has committed, so an acknowledgement
still means "on disk" — but concurrent requests pay for one commit (and one round trip per
table) between them instead of one each. Batches form naturally: while one commits, the next
requests queue up; no caller waits for a timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from sqlalchemy import Table, Update, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.db import Base, Database
from frontdesk.core.logging import get_logger

Rows = list[tuple[Table, dict[str, Any]]]
"""Rows to insert, and (with an ``id``) rows to update: ``(table, values)`` each."""
OnInsert = Callable[[AsyncSession, list[dict[str, Any]]], None]
"""Told, in the writing transaction, which rows of its table were just inserted."""
log = get_logger("frontdesk.group_commit")


def _table_order() -> dict[Table, int]:
    """Each table's place in dependency order (parents first), recomputed if tables are added."""
    return _order_of(len(Base.metadata.tables))


@cache
def _order_of(_table_count: int) -> dict[Table, int]:
    return {table: i for i, table in enumerate(Base.metadata.sorted_tables)}


@cache
def _update_by_id(table: Table, keys: tuple[str, ...]) -> Update:
    """``UPDATE table SET keys WHERE id = :_id`` (built once per shape: it runs per batch)."""
    return (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({k: bindparam(f"_{k}") for k in keys})
    )


class GroupCommit:
    """Inserts rows for many callers in shared transactions (system scope).

    ``on_insert`` maps a table to a hook that sees the rows inserted into it, inside the same
    transaction (the queue gates the ordering keys of the job rows it wrote).
    """

    def __init__(
        self,
        db: Database,
        max_batch: int = 256,
        on_insert: Mapping[Table, OnInsert] | None = None,
    ) -> None:
        self._db = db
        self._max_batch = max_batch
        self._on_insert = dict(on_insert or {})
        self._pending: list[tuple[tuple[Rows, Rows], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def insert(self, rows: Rows, updates: Rows | None = None) -> None:
        """Insert ``rows`` and apply ``updates`` (all or none); return once committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(((rows, updates or []), done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await asyncio.shield(done)

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            try:
                await self._commit([rows for rows, _ in batch])
            except Exception as e:
                if len(batch) == 1:
                    batch[0][1].set_exception(e)
                    continue
                # One bad entry must not fail its neighbours: retry each on its own.
                for rows, done in batch:
                    try:
                        await self._commit([rows])
                    except Exception as single:
                        done.set_exception(single)
                    else:
                        done.set_result(None)
                continue
            for _, done in batch:
                done.set_result(None)

    async def _commit(self, entries: list[tuple[Rows, Rows]]) -> None:
        by_table: dict[Table, list[dict[str, Any]]] = {}
        changes: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
        for rows, updates in entries:
            for table, values in rows:
                by_table.setdefault(table, []).append(values)
            for table, values in updates:
                keys = tuple(sorted(k for k in values if k != "id"))
                changes.setdefault((table, keys), []).append(
                    {"_id": values["id"], **{f"_{k}": values[k] for k in keys}}
                )
        order = _table_order()
        async with self._db.system_tx() as session:
            for table in sorted(by_table, key=lambda t: order.get(t, -1)):  # parents first
                await session.execute(table.insert(), by_table[table])
                if hook := self._on_insert.get(table):
                    hook(session, by_table[table])
            for (table, keys), params in changes.items():
                await session.execute(_update_by_id(table, keys), params)
