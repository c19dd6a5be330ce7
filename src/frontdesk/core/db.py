"""Database engine, sessions, the declarative base, and the tenant wall (RLS) on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar, cast

import orjson
from sqlalchemy import (
    DateTime,
    MetaData,
    String,
    Table,
    Update,
    bindparam,
    event,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    SessionTransaction,
    mapped_column,
)
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator, TypeEngine

from frontdesk.core import sqlite_driver
from frontdesk.core.clock import utcnow
from frontdesk.core.ids import new_id
from frontdesk.settings import Settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Session.info keys that decide what the PostgreSQL row-level-security policies let through.
TENANT_KEY = "tenant_id"
SYSTEM_KEY = "system"
_GATED = "holds_write_lock"
_WROTE = "has_written"
# Tells the RLS policies which tenant the transaction works for (``$1``: its id).
_SET_TENANT = "SELECT set_config('frontdesk.tenant_id', $1, true)"
# What runs Core statements: a session, or a bare connection (:meth:`Database.tenant_conn`).
Executor = AsyncSession | AsyncConnection


class _SQLiteUTCText(sqlite.DATETIME):
    """SQLite's DATETIME column, bound as the text :class:`UTCDateTime` already wrote."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def literal_processor(self, dialect: Dialect) -> Callable[[str], str]:
        return lambda value: "'" + value.replace("'", "''") + "'"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """SQLite: a DATETIME that takes the text this type writes (one formatting pass)."""
        if dialect.name == "sqlite":
            return _SQLiteUTCText()  # type: ignore[no-untyped-call]
        return self.impl_instance

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | str | None:
        """Store UTC: naive text on SQLite (SQLAlchemy's format), aware elsewhere; refuse naive."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base for every table."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


class IdMixin:
    """A UUIDv7 string primary key and a creation time."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TenantMixin(IdMixin):
    """A row owned by one tenant; PostgreSQL's RLS policies key on ``tenant_id``."""

    tenant_id: Mapped[str] = mapped_column(String(36), index=True)


Owned = TypeVar("Owned", bound=TenantMixin)


async def owned_row(
    session: AsyncSession, model: type[Owned], tenant_id: str, row_id: str, *, lock: bool = False
) -> Owned | None:
    """The tenant's ``model`` row ``row_id`` (row-locked on PostgreSQL with ``lock``), or None."""
    stmt = select(model).where(model.tenant_id == tenant_id, model.id == row_id)
    return await session.scalar(stmt.with_for_update() if lock else stmt)


def _sqlite_pragmas(settings: Settings) -> Any:
    # A checkpoint copies each page changed since the last one into the database (a hot page
    # once, however often it changed) and syncs it, stalling the commit that ran it. Every
    # 4,000 WAL pages rather than SQLite's 1,000: a quarter as many checkpoints, and measured
    # (bench/vault_bench.py) half the commits stalled and half the stall time in all.
    synchronous, autocheckpoint = settings.sqlite_synchronous, settings.sqlite_wal_autocheckpoint

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return on_connect


def _json_dumps(value: Any) -> str:
    """JSON column text: orjson (a tenth of the stdlib's time), the stdlib for what it refuses.

    orjson refuses integers beyond 64 bits, which the stdlib writes exactly. Reads stay on the
    stdlib: orjson would read such an integer back as a float.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def create_engine(settings: Settings) -> AsyncEngine:
    """Create the async engine for the configured database."""
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            settings.db_url,
            module=sqlite_driver.dbapi(),
            pool_size=settings.db_pool_size,
            max_overflow=0,
            pool_timeout=60,
            json_serializer=_json_dumps,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(settings))
        return engine
    # No pre-ping: it costs a round trip per checkout. A connection found dead fails one
    # statement, and SQLAlchemy then invalidates the whole pool (a request gets a 503, a job
    # its normal retry). The pool holds at least the workers' connections (+2 for claims and
    # the reaper): overflow connections are opened and closed per use, and 16 worker tasks on a
    # pool of 10 ran 4 times slower than on a pool of 20.
    pool_size = max(settings.db_pool_size, settings.workers + 2)
    return create_async_engine(
        settings.db_url, pool_size=pool_size, max_overflow=10, json_serializer=_json_dumps
    )


def create_null_pool_engine(settings: Settings) -> AsyncEngine:
    """An engine that holds no connections between uses (CLI commands, migrations)."""
    module = {"module": sqlite_driver.dbapi()} if settings.is_sqlite else {}
    engine = create_async_engine(
        settings.db_url, poolclass=NullPool, json_serializer=_json_dumps, **module
    )
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(settings))
    return engine


@event.listens_for(Session, "after_begin")
def _set_rls_context(session: Session, _tx: SessionTransaction, conn: Connection) -> None:
    """On PostgreSQL, tell the RLS policies which tenant (or the system) the transaction is for."""
    if conn.dialect.name != "postgresql":
        return
    if session.info.get(SYSTEM_KEY):
        conn.exec_driver_sql("SELECT set_config('frontdesk.system', 'on', true)")
    elif tenant := session.info.get(TENANT_KEY):
        conn.exec_driver_sql(_SET_TENANT, (str(tenant),))


@event.listens_for(Session, "do_orm_execute")
def _note_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        if STAGED in state.session.info:
            raise Unstageable("a statement that writes, in a staging session")
        state.session.info[_WROTE] = True


@event.listens_for(Session, "before_flush")
def _refuse_staged_flush(session: Session, _context: Any, _instances: Any) -> None:
    if STAGED in session.info and (session.new or session.dirty or session.deleted):
        raise Unstageable("a flush, in a staging session")


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


class Database:
    """The engine plus session factories scoped to a tenant or to the system.

    SQLite has one writer at a time. Rather than let pooled connections poll for its lock
    (the busy handler sleeps between tries, which wrecks latency under load), write
    transactions opened here take an in-process lock first and hand over in FIFO order.
    A write transaction must never open another one: the lock is not re-entrant.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._factory = async_sessionmaker(engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def tenant_session(self, tenant_id: str) -> AsyncSession:
        """A session that can only see ``tenant_id``'s rows on PostgreSQL (RLS)."""
        session = self._factory()
        session.info[TENANT_KEY] = tenant_id
        return session

    def system_session(self) -> AsyncSession:
        """A session for cross-tenant work: auth lookups, the queue, migrations, the CLI."""
        session = self._factory()
        session.info[SYSTEM_KEY] = True
        return session

    @asynccontextmanager
    async def transaction(
        self, session: AsyncSession, *, write: bool = True, inline: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """Run ``session`` as one transaction (closed after), committed on success.

        With ``write=False`` the SQLite write lock is taken later, by :meth:`begin_write`, so
        the reads and computation before the first write run alongside other transactions.
        ``inline``: see :meth:`begin_write`.
        """
        try:
            async with session, session.begin():
                if write:
                    # Connection first, then the lock, everywhere: a holder of the lock never
                    # waits for the pool, so the two can't deadlock.
                    await session.connection()
                    await self.begin_write(session, inline=inline)
                yield session
        finally:
            if session.info.pop(_GATED, False):
                assert self._write_lock is not None
                self._write_lock.release()

    async def begin_write(self, session: AsyncSession, *, inline: bool = False) -> None:
        """Take the SQLite write lock for ``session``'s transaction (once; no-op elsewhere).

        Call it before a transaction's first write, after its first statement (so the
        connection is held before the lock); :meth:`transaction` releases it after commit.
        A staging session never writes itself: no lock.

        ``inline`` is for a transaction of a few short statements from here on (no bulk
        work): on SQLite they then run on the event loop's thread instead of the driver's,
        which shortens the time the lock is held (see :mod:`frontdesk.core.sqlite_driver`).
        """
        if self._write_lock is None or session.info.get(_GATED) or STAGED in session.info:
            return
        if session.info.get(_WROTE):
            # This transaction already holds SQLite's lock (it wrote without asking): waiting
            # for the in-process lock now could wait on a writer that waits on us.
            return
        await self._write_lock.acquire()
        session.info[_GATED] = True
        if inline:
            await _begin_inline(await session.connection())

    @staticmethod
    def writing(session: AsyncSession) -> bool:
        """Whether ``session``'s transaction has written or holds the write lock."""
        return bool(session.info.get(_WROTE) or session.info.get(_GATED))

    async def snapshot(self, session: AsyncSession) -> None:
        """Make the rest of ``session``'s read-only transaction see one snapshot.

        Otherwise each statement sees the latest commit: SQLite's driver opens a transaction
        only before a write, and PostgreSQL's READ COMMITTED takes a snapshot per statement,
        so a page read in two queries (a run, then its steps) can mix before and after a
        commit. Call it first thing; the transaction must not write (on SQLite a deferred
        reader that later writes can fail when another writer committed in between).
        """
        if self.dialect == "sqlite":
            await session.execute(text("BEGIN"))
        else:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})

    @asynccontextmanager
    async def tenant_tx(self, tenant_id: str) -> AsyncIterator[AsyncSession]:
        """Open a tenant session inside one write transaction, committed on success."""
        async with self.transaction(self.tenant_session(tenant_id)) as session:
            yield session

    @asynccontextmanager
    async def tenant_conn(
        self, tenant_id: str, *, inline: bool = False
    ) -> AsyncIterator[AsyncConnection]:
        """One write transaction of ``tenant_id`` on a bare connection, committed on success.

        For hot paths made of a few Core statements: no ORM session to set up, flush and
        close (a third of a short transaction's own cost). RLS applies as in a session.
        ``inline``: see :meth:`begin_write`.
        """
        async with self.engine.connect() as conn:
            if self._write_lock is not None:
                await self._write_lock.acquire()  # connection first, then the lock
            try:
                async with conn.begin():
                    if inline and self._write_lock is not None:
                        await _begin_inline(conn)
                    if self.dialect == "postgresql":
                        await conn.exec_driver_sql(_SET_TENANT, (tenant_id,))
                    yield conn
            finally:
                if self._write_lock is not None:
                    self._write_lock.release()

    @asynccontextmanager
    async def system_tx(self, *, inline: bool = False) -> AsyncIterator[AsyncSession]:
        """Open a system session inside one write transaction, committed on success.

        ``inline``: see :meth:`begin_write`.
        """
        async with self.transaction(self.system_session(), inline=inline) as session:
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def after_commit(session: AsyncSession, callback: Any) -> None:
    """Run ``callback()`` once, after ``session``'s current transaction commits.

    In a staging session, after the group commit that writes what it staged.
    """
    staged = session.info.get(STAGED)
    if staged is not None:
        staged.callbacks.append(callback)
        return
    event.listen(session.sync_session, "after_commit", lambda _s: callback(), once=True)


STAGED = "staged"
Rows = list[tuple[Table, dict[str, Any]]]
"""Rows to insert, and (with an ``id``) rows to update: ``(table, values)`` each."""
OnInsert = Callable[[AsyncSession, list[dict[str, Any]]], None]
"""Told, in the writing transaction, which rows of its table were just inserted."""


async def flush(session: AsyncSession) -> None:
    """Flush ``session``, unless it stages its writes (a group commit writes them later).

    For code that a staging session may run: objects it adds must carry their ids already.
    """
    if STAGED not in session.info:
        await session.flush()


async def write_rows(
    session: AsyncSession,
    rows: Sequence[tuple[Table, dict[str, Any]]],
    updates: Sequence[tuple[Table, dict[str, Any]]] = (),
    on_insert: Mapping[Table, OnInsert] | None = None,
) -> None:
    """Insert ``rows`` (one statement per table, parents first) and apply ``updates`` by id.

    Updates of the same columns share one statement; Core fills ``onupdate`` columns.
    """
    by_table: dict[Table, list[dict[str, Any]]] = {}
    for table, values in rows:
        by_table.setdefault(table, []).append(values)
    changes: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for table, values in updates:
        keys = tuple(sorted(k for k in values if k != "id"))
        changes.setdefault((table, keys), []).append(
            {"_id": values["id"], **{f"_{k}": values[k] for k in keys}}
        )
    order = _table_order()
    for table in sorted(by_table, key=lambda t: order.get(t, -1)):
        await session.execute(table.insert(), by_table[table])
        if on_insert and (hook := on_insert.get(table)):
            hook(session, by_table[table])
    for (table, keys), params in changes.items():
        await session.execute(_update_by_id(table, keys), params)


async def write_pending(session: AsyncSession) -> None:
    """Write what ``session`` holds added or changed with Core statements, then let it go.

    A flush without the unit of work's bookkeeping, for plain rows (ids and defaults made
    client-side, no relationships): one INSERT per table, one UPDATE per changed shape. The
    objects are expunged, so a later flush or commit does not write them again.
    """
    staged = Staged()
    staged.collect(session)
    for obj in [*session.new, *session.dirty]:
        session.expunge(obj)
    await write_rows(session, staged.rows, staged.updates)


async def _begin_inline(connection: AsyncConnection) -> None:
    raw = (await connection.get_raw_connection()).dbapi_connection
    if isinstance(raw, sqlite_driver.OneTripConnection):
        await raw.begin_inline()


def _table_order() -> dict[Table, int]:
    """Each table's place in dependency order (parents first), recomputed if tables are added."""
    return _order_of(len(Base.metadata.tables))


@cache
def _order_of(_table_count: int) -> dict[Table, int]:
    return {table: i for i, table in enumerate(Base.metadata.sorted_tables)}


@cache
def _update_by_id(table: Table, keys: tuple[str, ...]) -> Update:
    """``UPDATE table SET keys WHERE id = :_id`` (built once per shape)."""
    return (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({k: bindparam(f"_{k}") for k in keys})
    )


class Unstageable(Exception):
    """Work in a staging session tried to write directly: it must run in a transaction."""


@dataclass
class Staged:
    """What a staging session's work would write: rows to insert, updates, after-commit hooks.

    A staging session only reads; writers that know about it (the queue, the ORM objects it
    holds) leave their rows here, for a group commit to write with other requests' rows in one
    transaction. Anything else that writes raises :class:`Unstageable`.
    """

    rows: list[tuple[Table, dict[str, Any]]] = field(default_factory=list)
    updates: list[tuple[Table, dict[str, Any]]] = field(default_factory=list)
    callbacks: list[Callable[[], Any]] = field(default_factory=list)

    def collect(self, session: AsyncSession) -> None:
        """Turn the ORM objects added to or changed in ``session`` into rows and updates.

        Column defaults are written straight into the new objects' state, without change
        events: the callers expunge the objects afterwards and never flush them.
        """
        for obj in session.new:
            state = inspect(obj)
            values = state.dict
            row = {}
            for key, column_key, default in _plan(state.mapper):
                value = values.get(key)
                if value is None and default is not None:
                    value = values[key] = _default(default)
                row[column_key] = value
            self.rows.append((cast(Table, state.mapper.local_table), row))
        for obj in session.dirty:
            state = inspect(obj)
            unmodified = state.unmodified
            changed = {
                column_key: state.dict[key]
                for key, column_key, _ in _plan(state.mapper)
                if key not in unmodified and state.attrs[key].history.has_changes()
            }
            if changed:
                changed["id"] = state.identity[0]
                self.updates.append((cast(Table, state.mapper.local_table), changed))


@cache
def _plan(mapper: Any) -> tuple[tuple[str, str, Any], ...]:
    """A mapper's (attribute, column, column default) triples, worked out once."""
    return tuple(
        (attr.key, attr.columns[0].key, attr.columns[0].default) for attr in mapper.column_attrs
    )


def _default(default: Any) -> Any:
    return default.arg(None) if default.is_callable else default.arg
