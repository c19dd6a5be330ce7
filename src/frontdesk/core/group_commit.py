"""Group commit: many small independent inserts share one transaction.

Each caller waits until the transaction holding its rows has committed, so an acknowledgement
still means "on disk" — but concurrent requests pay for one commit (and one round trip per
table) between them instead of one each. Batches form naturally: while one commits, the next
requests queue up; no caller waits for a timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from sqlalchemy import Table

from frontdesk.core.db import Database, OnInsert, Rows, write_rows
from frontdesk.core.logging import get_logger

log = get_logger("frontdesk.group_commit")


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
        rows = [row for inserts, _ in entries for row in inserts]
        updates = [change for _, changes in entries for change in changes]
        async with self._db.system_tx(inline=True) as session:
            await write_rows(session, rows, updates, self._on_insert)
