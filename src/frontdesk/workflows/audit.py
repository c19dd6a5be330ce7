"""The workflow audit log: append-only (database triggers) and hash-chained (tampering shows).

Each entry's ``hash`` is the SHA-256 of a canonical JSON of its content and the previous entry's
hash, so editing, deleting or inserting an entry in the middle of a workflow's log breaks every
later link, which :func:`verify` finds. The database refuses UPDATE and DELETE on the table
(migration 0011), so tampering needs someone who can drop that trigger first.

Appends to one workflow are serialised so the chain never forks: on PostgreSQL :func:`append`
locks the workflow row (``SELECT … FOR UPDATE``) before it reads the last entry; on SQLite the
single write lock does it, so the caller must hold the write transaction
(``Database.transaction(session)``) or pass ``db=`` to let :func:`append` take it. The unique
``(workflow_id, seq)`` constraint is the last wall.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_jsonable_python
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database
from frontdesk.core.errors import NotFound
from frontdesk.workflows.models import Workflow, WorkflowAudit

GENESIS = "0" * 64
"""The ``prev_hash`` of a workflow's first entry."""
MAX_DETAILS_BYTES = 64 * 1024
MAX_ACTOR = 100

CREATED = "created"
MODIFIED = "modified"
VERSION_CREATED = "version_created"
ACTIVATED = "activated"
DEACTIVATED = "deactivated"
VARIANTS_CHANGED = "variants_changed"
DELETED = "deleted"
COPIED = "copied"
INSTALLED = "installed"
WEBHOOK_ROTATED = "webhook_rotated"
INSTANCE_CANCELLED = "instance_cancelled"
NODE_SKIPPED = "node_skipped"
INSTANCE_RETRIED = "instance_retried"

DEFINITION = "definition"
VERSION = "version"
DEPLOYMENT = "deployment"
OPERATION = "operation"

EventType = Literal[
    "created",
    "modified",
    "version_created",
    "activated",
    "deactivated",
    "variants_changed",
    "deleted",
    "copied",
    "installed",
    "webhook_rotated",
    "instance_cancelled",
    "node_skipped",
    "instance_retried",
]
Category = Literal["definition", "version", "deployment", "operation"]

CATEGORY_OF: dict[str, str] = {
    CREATED: DEFINITION,
    MODIFIED: DEFINITION,
    DELETED: DEFINITION,
    COPIED: DEFINITION,
    INSTALLED: DEFINITION,
    VERSION_CREATED: VERSION,
    ACTIVATED: DEPLOYMENT,
    DEACTIVATED: DEPLOYMENT,
    VARIANTS_CHANGED: DEPLOYMENT,
    WEBHOOK_ROTATED: DEPLOYMENT,
    INSTANCE_CANCELLED: OPERATION,
    NODE_SKIPPED: OPERATION,
    INSTANCE_RETRIED: OPERATION,
}
"""The usual category of each event type."""
EVENT_TYPES = frozenset(CATEGORY_OF)
CATEGORIES = frozenset(CATEGORY_OF.values())

CSV_COLUMNS = ("seq", "at", "event_type", "category", "actor", "details", "hash")


class Verification(BaseModel):
    """The outcome of recomputing a workflow's chain."""

    ok: bool
    entries: int
    """How many entries were checked (all of them when ``ok``)."""
    broken_at_seq: int | None = None
    reason: str | None = None
    head_hash: str | None = None
    """The last entry's hash: keep it elsewhere to detect a truncated log later."""


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What :func:`query` selects."""

    event_type: str | None = None
    category: str | None = None
    since: datetime | None = None
    """Inclusive lower bound on the entry time."""
    until: datetime | None = None
    """Exclusive upper bound on the entry time."""


EVERY_ENTRY = AuditFilter()


def canonical_json(value: Any) -> str:
    """Sorted-key, compact JSON: the same content always gives the same text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def entry_hash(
    *,
    tenant_id: str,
    workflow_id: str,
    seq: int,
    event_type: str,
    category: str,
    actor: str,
    details: Mapping[str, Any],
    at: datetime,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of an entry's content and its predecessor's hash."""
    content = {
        "tenant_id": tenant_id,
        "workflow_id": workflow_id,
        "seq": seq,
        "event_type": event_type,
        "category": category,
        "actor": actor,
        "details": details,
        "created_at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def hash_of(row: WorkflowAudit) -> str:
    """The hash ``row`` should carry, recomputed from its stored content."""
    return entry_hash(
        tenant_id=row.tenant_id,
        workflow_id=row.workflow_id,
        seq=row.seq,
        event_type=row.event_type,
        category=row.category,
        actor=row.actor,
        details=row.details,
        at=row.created_at,
        prev_hash=row.prev_hash,
    )


def _clean_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """``details`` as plain JSON (what the database gives back), or ``ValueError``.

    Pydantic models, datetimes and the like become their JSON form first.
    """
    try:
        text = canonical_json(to_jsonable_python(dict(details)))
    except (TypeError, ValueError, PydanticSerializationError) as exc:
        raise ValueError(f"audit details must be plain JSON: {exc}") from exc
    if len(text.encode()) > MAX_DETAILS_BYTES:
        raise ValueError(f"audit details are over {MAX_DETAILS_BYTES} bytes")
    cleaned: dict[str, Any] = json.loads(text)
    return cleaned


def _check_entry(event_type: str, category: str, actor: str) -> None:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown audit event type {event_type!r}")
    if category not in CATEGORIES:
        raise ValueError(f"unknown audit category {category!r}")
    if not actor or len(actor) > MAX_ACTOR:
        raise ValueError(f"audit actor must be 1 to {MAX_ACTOR} characters")


async def _lock_workflow(session: AsyncSession, tenant_id: str, workflow_id: str) -> None:
    """Lock the workflow row (PostgreSQL; SQLite ignores FOR UPDATE), or :class:`NotFound`."""
    found = await session.scalar(
        select(Workflow.id)
        .where(Workflow.id == workflow_id, Workflow.tenant_id == tenant_id)
        .with_for_update()
    )
    if found is None:
        raise NotFound("Workflow not found")


async def append(
    session: AsyncSession,
    tenant_id: str,
    workflow_id: str,
    event_type: str,
    category: str,
    actor: str,
    details: Mapping[str, Any],
    *,
    db: Database | None = None,
    at: datetime | None = None,
) -> WorkflowAudit:
    """Add the next entry of ``workflow_id``'s log in the session's transaction.

    The workflow row must exist (append ``deleted`` before deleting it, in the same
    transaction). On SQLite, hold the write transaction or pass ``db`` (see the module doc).
    ``ValueError`` for an unknown event type or category, or details that are not plain JSON.
    """
    _check_entry(event_type, category, actor)
    clean = _clean_details(details)
    if db is not None:
        await session.connection()  # the connection before the write lock, as everywhere
        await db.begin_write(session)
    await _lock_workflow(session, tenant_id, workflow_id)
    last = (
        await session.execute(
            select(WorkflowAudit.seq, WorkflowAudit.hash)
            .where(WorkflowAudit.workflow_id == workflow_id)
            .order_by(WorkflowAudit.seq.desc())
            .limit(1)
        )
    ).first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    when = (at or utcnow()).astimezone(UTC)
    row = WorkflowAudit(
        tenant_id=tenant_id,
        workflow_id=workflow_id,
        seq=seq,
        event_type=event_type,
        category=category,
        actor=actor,
        details=clean,
        prev_hash=prev_hash,
        created_at=when,
    )
    row.hash = hash_of(row)
    session.add(row)
    await session.flush()
    return row


def _filtered(
    stmt: Select[Any], tenant_id: str, workflow_id: str, where: AuditFilter
) -> Select[Any]:
    stmt = stmt.where(
        WorkflowAudit.tenant_id == tenant_id, WorkflowAudit.workflow_id == workflow_id
    )
    if where.event_type:
        stmt = stmt.where(WorkflowAudit.event_type == where.event_type)
    if where.category:
        stmt = stmt.where(WorkflowAudit.category == where.category)
    if where.since:
        stmt = stmt.where(WorkflowAudit.created_at >= where.since)
    if where.until:
        stmt = stmt.where(WorkflowAudit.created_at < where.until)
    return stmt


async def query(
    session: AsyncSession,
    tenant_id: str,
    workflow_id: str,
    where: AuditFilter = EVERY_ENTRY,
    *,
    offset: int = 0,
    limit: int = 50,
    newest_first: bool = True,
) -> tuple[list[WorkflowAudit], int]:
    """One page of the workflow's entries matching ``where``, and how many match in all."""
    total = await session.scalar(
        _filtered(select(func.count()).select_from(WorkflowAudit), tenant_id, workflow_id, where)
    )
    order = WorkflowAudit.seq.desc() if newest_first else WorkflowAudit.seq.asc()
    stmt = _filtered(select(WorkflowAudit), tenant_id, workflow_id, where)
    rows = (await session.scalars(stmt.order_by(order).offset(offset).limit(limit))).all()
    return list(rows), int(total or 0)


async def exists(session: AsyncSession, tenant_id: str, workflow_id: str) -> bool:
    """True when the tenant has this workflow, or had it (its log outlives the workflow)."""
    workflow = await session.scalar(
        select(Workflow.id).where(Workflow.id == workflow_id, Workflow.tenant_id == tenant_id)
    )
    if workflow is not None:
        return True
    entry = await session.scalar(
        select(WorkflowAudit.id)
        .where(WorkflowAudit.workflow_id == workflow_id, WorkflowAudit.tenant_id == tenant_id)
        .limit(1)
    )
    return entry is not None


def _cell(text: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(rows: Iterable[WorkflowAudit]) -> str:
    """The entries as CSV with a header line (formula-like cells are quoted)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        values = (
            str(row.seq),
            row.created_at.astimezone(UTC).isoformat(),
            row.event_type,
            row.category,
            row.actor,
            canonical_json(row.details),
            row.hash,
        )
        writer.writerow([_cell(value) for value in values])
    return out.getvalue()


def _broken(row: WorkflowAudit, expected_seq: int, prev_hash: str) -> str | None:
    """Why ``row`` does not continue the chain, or ``None``."""
    if row.seq != expected_seq:
        return f"sequence gap: expected entry {expected_seq}, found {row.seq}"
    if row.prev_hash != prev_hash:
        return "prev_hash does not match the previous entry's hash"
    if row.hash != hash_of(row):
        return "hash does not match the entry's content"
    return None


async def verify(
    session: AsyncSession, tenant_id: str, workflow_id: str, *, batch: int = 1000
) -> Verification:
    """Recompute the workflow's chain from the first entry; report the first broken link."""
    checked, prev_hash, last_seq = 0, GENESIS, 0
    while True:
        rows = (
            await session.scalars(
                select(WorkflowAudit)
                .where(
                    WorkflowAudit.tenant_id == tenant_id,
                    WorkflowAudit.workflow_id == workflow_id,
                    WorkflowAudit.seq > last_seq,
                )
                .order_by(WorkflowAudit.seq)
                .limit(batch)
            )
        ).all()
        for row in rows:
            reason = _broken(row, checked + 1, prev_hash)
            if reason:
                return Verification(ok=False, entries=checked, broken_at_seq=row.seq, reason=reason)
            checked, prev_hash, last_seq = checked + 1, row.hash, row.seq
        if len(rows) < batch:
            head = prev_hash if checked else None
            return Verification(ok=True, entries=checked, head_hash=head)
