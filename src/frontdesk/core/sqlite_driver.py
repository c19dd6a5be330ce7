"""SQLAlchemy's aiosqlite adapter, with one trip to the driver's thread per statement.

aiosqlite runs every call on its connection's own thread, and SQLAlchemy's adapter makes four
of them per statement (open a cursor, execute, fetch, close). Each trip hands the GIL to that
thread and back and wakes the event loop through its self-pipe: under load those handovers,
not SQLite, were most of a statement's cost. Here one function does all four on the driver's
thread. Passed to the engine as its DBAPI module (``create_async_engine(..., module=dbapi())``),
the documented way to swap a dialect's driver; everything else is SQLAlchemy's own adapter.
Commit and rollback make no trip at all when SQLite has no transaction open.

A short write transaction can also go *inline* (:meth:`OneTripConnection.begin_inline`): its
statements then run on the caller's thread, with no trip at all. A trip costs more than such
a statement (about 0.2 ms against tens of microseconds here), and the write lock is held across
every trip. What can block stays on the driver's thread: the ``BEGIN IMMEDIATE`` that waits for
SQLite's lock, and the commit that syncs the log (and may checkpoint it).
"""

from __future__ import annotations

import collections
import sqlite3
from threading import Thread
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

Outcome = tuple[Any, int, int | None, list[Any] | None]


def _run(connection: aiosqlite.Connection, operation: str, parameters: Any, many: bool) -> Outcome:
    """Open a cursor, execute, fetch every row, close: on the driver's thread."""
    cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else None
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statements each cost one trip to the driver's thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid")
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows: collections.deque[Any] = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        """The last statement's column description (None for statements without rows)."""
        return self._description

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        """The rowid of the last inserted row."""
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        """Rows per ``fetchmany`` by default (they are all fetched already)."""
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        return

    async def _async_soft_close(self) -> None:
        return

    def close(self) -> None:
        """Drop unread rows; there is no driver cursor left to close."""
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._trip(operation, seq_of_parameters, many=True)

    async def _trip(self, operation: str, parameters: Any, *, many: bool) -> None:
        connection: Any = self._connection  # an aiosqlite.Connection
        if cast("OneTripConnection", self._adapt_connection).inline:
            outcome: Outcome = _run(connection, operation, parameters, many)
        else:
            async with self._adapt_connection._execute_mutex:
                outcome = await connection._execute(_run, connection, operation, parameters, many)
        self._description, self._rowcount, self._lastrowid, rows = outcome
        self._rows = collections.deque(rows or ())


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection adapter, handing out :class:`OneTripCursor`."""

    __slots__ = ("inline",)
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.inline = False
        """Whether statements run on the caller's thread (until the transaction ends)."""

    async def begin_inline(self) -> None:
        """Begin a write transaction whose statements run on the caller's thread.

        The ``BEGIN IMMEDIATE`` takes SQLite's write lock on the driver's thread, so waiting
        for another process never blocks the event loop. A transaction already open stays
        as it is (it may be a read snapshot, whose upgrade could wait).
        """
        driver = self._connection  # the aiosqlite connection
        if driver._conn.in_transaction:
            return
        await driver._execute(driver._conn.execute, "BEGIN IMMEDIATE")
        self.inline = True

    def commit(self) -> None:
        """Commit, skipping the trip when no transaction is open (SQLite's own no-op then)."""
        self.inline = False
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        """Roll back, skipping the trip when no transaction is open.

        The pool rolls back every connection it gets back, and a read-only transaction never
        began one on SQLite: so a write costs one trip less, and a read two.
        """
        self.inline = False
        if self._in_transaction():
            super().rollback()

    def _in_transaction(self) -> bool:
        connection = self._connection._connection  # the sqlite3 connection; None once closed
        return connection is not None and connection.in_transaction


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DBAPI adapter whose connections use :class:`OneTripCursor`."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        """Open an aiosqlite connection (its thread a daemon, as SQLAlchemy does) and adapt it."""
        creator = kw.pop("async_creator_fn", None)
        kw["check_same_thread"] = False  # inline statements run on the event loop's thread
        connection = creator(*arg, **kw) if creator else self.aiosqlite.connect(*arg, **kw)
        if isinstance(getattr(connection, "_thread", None), Thread):
            connection._thread.daemon = True
        return OneTripConnection(self, await_(connection))


def dbapi() -> OneTripDBAPI:
    """The module to pass to ``create_async_engine`` for a ``sqlite+aiosqlite`` URL."""
    return OneTripDBAPI(aiosqlite, sqlite3)
