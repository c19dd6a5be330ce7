"""The vault's append-only audit trail: who touched which credential, why, from where."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.db import Executor
from frontdesk.core.ids import new_id
from frontdesk.vault.models import VaultAudit

COLUMNS = (
    "id",
    "at",
    "credential_id",
    "action",
    "outcome",
    "actor",
    "service",
    "reason",
    "ip",
    "user_agent",
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts on the vault, and from where (recorded with every audit row)."""

    id: str
    ip: str | None = None
    user_agent: str | None = None


SYSTEM = Actor("system")
_INSERT = insert(cast(Table, VaultAudit.__table__))  # built once: its compiled form is reused


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What an audit query selects."""

    credential_id: str | None = None
    action: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def entry(
    tenant_id: str,
    actor: Actor,
    action: str,
    at: datetime,
    *,
    credential_id: str | None = None,
    service: str | None = None,
    reason: str | None = None,
    outcome: str = "ok",
) -> dict[str, Any]:
    """The column values of one audit row."""
    return {
        "id": new_id(),
        "created_at": at,
        "tenant_id": tenant_id,
        "credential_id": credential_id,
        "actor": actor.id,
        "service": service,
        "action": action,
        "outcome": outcome,
        "reason": reason[:500] if reason else None,
        "ip": actor.ip[:64] if actor.ip else None,
        "user_agent": actor.user_agent[:300] if actor.user_agent else None,
        "at": at,
    }


def record(
    session: AsyncSession,
    tenant_id: str,
    actor: Actor,
    action: str,
    at: datetime,
    **details: Any,
) -> None:
    """Add one audit row to the session's transaction (see :func:`entry` for ``details``)."""
    session.add(VaultAudit(**entry(tenant_id, actor, action, at, **details)))


async def write(
    session: Executor,
    tenant_id: str,
    actor: Actor,
    action: str,
    at: datetime,
    **details: Any,
) -> None:
    """Insert one audit row now, without the ORM's unit of work (the decrypt hot path)."""
    await session.execute(_INSERT, entry(tenant_id, actor, action, at, **details))


async def query(
    session: AsyncSession, tenant_id: str, where: AuditFilter, limit: int, offset: int = 0
) -> list[VaultAudit]:
    """The tenant's audit rows matching ``where``, newest first."""
    stmt = select(VaultAudit).where(VaultAudit.tenant_id == tenant_id)
    if where.credential_id:
        stmt = stmt.where(VaultAudit.credential_id == where.credential_id)
    if where.action:
        stmt = stmt.where(VaultAudit.action == where.action)
    if where.actor:
        stmt = stmt.where(VaultAudit.actor == where.actor)
    if where.since:
        stmt = stmt.where(VaultAudit.at >= where.since)
    if where.until:
        stmt = stmt.where(VaultAudit.at < where.until)
    stmt = stmt.order_by(VaultAudit.at.desc(), VaultAudit.id.desc()).limit(limit).offset(offset)
    return list((await session.scalars(stmt)).all())


def _fields(row: VaultAudit) -> dict[str, str | None]:
    values = {name: getattr(row, name) for name in COLUMNS}
    values["at"] = row.at.isoformat()
    return values


def _cell(value: str | None) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = value or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(rows: Iterable[VaultAudit]) -> str:
    """The rows as CSV with a header line."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        values = _fields(row)
        writer.writerow([_cell(values[name]) for name in COLUMNS])
    return out.getvalue()


def to_jsonl(rows: Iterable[VaultAudit]) -> str:
    """The rows as JSON lines."""
    return "".join(json.dumps(_fields(row)) + "\n" for row in rows)
