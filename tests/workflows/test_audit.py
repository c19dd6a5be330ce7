"""The hash-chained, append-only workflow audit log (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from frontdesk.core.errors import NotFound
from frontdesk.runtime import Runtime
from frontdesk.workflows import audit
from frontdesk.workflows.models import WorkflowAudit
from tests.conftest import TenantCtx
from tests.workflows.audit_helpers import (
    add_entry,
    edit_details,
    make_workflow,
    remove_entry,
    tamper,
)

T0 = datetime(2026, 11, 1, 9, 0, 0, 123456, tzinfo=UTC)


async def _entries(runtime: Runtime, tenant_id: str, workflow_id: str) -> list[WorkflowAudit]:
    async with runtime.db.tenant_session(tenant_id) as session:
        rows, _ = await audit.query(session, tenant_id, workflow_id, newest_first=False)
    return rows


async def test_entries_form_a_chain(runtime: Runtime, tenant: TenantCtx):
    wf = await make_workflow(runtime.db, tenant.id)
    await add_entry(runtime.db, tenant.id, wf, audit.CREATED, details={"name": "Lead intake"})
    await add_entry(runtime.db, tenant.id, wf, audit.MODIFIED, details={"nodes": 3, "ratio": 0.5})
    await add_entry(runtime.db, tenant.id, wf, audit.ACTIVATED, details={"version": 1})

    rows = await _entries(runtime, tenant.id, wf)
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == audit.GENESIS
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert all(r.hash == audit.hash_of(r) for r in rows)  # survives the database round trip
    assert len({r.hash for r in rows}) == 3
    assert rows[2].category == audit.DEPLOYMENT and rows[1].details == {"nodes": 3, "ratio": 0.5}


async def test_each_workflow_has_its_own_chain(runtime: Runtime, tenant: TenantCtx):
    first = await make_workflow(runtime.db, tenant.id, "first")
    second = await make_workflow(runtime.db, tenant.id, "second")
    await add_entry(runtime.db, tenant.id, first)
    await add_entry(runtime.db, tenant.id, first)
    entry = await add_entry(runtime.db, tenant.id, second)
    assert (entry.seq, entry.prev_hash) == (1, audit.GENESIS)


async def test_hash_covers_every_field():
    fields = {
        "tenant_id": "t",
        "workflow_id": "w",
        "seq": 1,
        "event_type": "created",
        "category": "definition",
        "actor": "apikey:k",
        "details": {"a": [1, 2]},
        "at": T0,
        "prev_hash": audit.GENESIS,
    }
    base = audit.entry_hash(**fields)  # type: ignore[arg-type]
    changed = {
        "tenant_id": "u",
        "workflow_id": "x",
        "seq": 2,
        "event_type": "modified",
        "category": "version",
        "actor": "apikey:j",
        "details": {"a": [2, 1]},
        "at": T0 + timedelta(microseconds=1),
        "prev_hash": "1" * 64,
    }
    for name, value in changed.items():
        assert audit.entry_hash(**{**fields, name: value}) != base, name  # type: ignore[arg-type]
    reordered = {**fields, "details": {"b": 1, "a": [1, 2]}}
    same = {**fields, "details": {"a": [1, 2], "b": 1}}
    assert audit.entry_hash(**reordered) == audit.entry_hash(**same)  # type: ignore[arg-type]


async def test_append_refuses_bad_entries(runtime: Runtime, tenant: TenantCtx, other_tenant):
    wf = await make_workflow(runtime.db, tenant.id)
    bad = [
        ("renamed", "definition", "apikey:k", {}),
        ("created", "misc", "apikey:k", {}),
        ("created", "definition", "", {}),
        ("created", "definition", "x" * 101, {}),
        ("created", "definition", "apikey:k", {"thing": object()}),
        ("created", "definition", "apikey:k", {"ratio": float("nan")}),
        ("created", "definition", "apikey:k", {"blob": "x" * (audit.MAX_DETAILS_BYTES + 1)}),
    ]
    async with runtime.db.tenant_tx(tenant.id) as session:
        for event_type, category, actor, details in bad:
            with pytest.raises(ValueError):
                await audit.append(session, tenant.id, wf, event_type, category, actor, details)
    async with runtime.db.tenant_tx(other_tenant.id) as session:
        with pytest.raises(NotFound):
            await audit.append(session, other_tenant.id, wf, "created", "definition", "k", {})
    async with runtime.db.tenant_tx(tenant.id) as session:
        with pytest.raises(NotFound):
            await audit.append(session, tenant.id, "no-such", "created", "definition", "k", {})
    assert await _entries(runtime, tenant.id, wf) == []


async def test_database_refuses_update_and_delete(runtime: Runtime, tenant: TenantCtx):
    wf = await make_workflow(runtime.db, tenant.id)
    await add_entry(runtime.db, tenant.id, wf, details={"step": 1})
    statements = [
        update(WorkflowAudit).where(WorkflowAudit.workflow_id == wf).values(actor="someone"),
        text("DELETE FROM workflow_audit"),
    ]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            async with runtime.db.system_tx() as session:
                await session.execute(statement)
    [row] = await _entries(runtime, tenant.id, wf)
    assert (row.actor, row.details) == ("apikey:k1", {"step": 1})


async def test_seq_is_unique_per_workflow(runtime: Runtime, tenant: TenantCtx):
    wf = await make_workflow(runtime.db, tenant.id)
    first = await add_entry(runtime.db, tenant.id, wf)
    with pytest.raises(IntegrityError):
        async with runtime.db.tenant_tx(tenant.id) as session:
            session.add(
                WorkflowAudit(
                    tenant_id=tenant.id,
                    workflow_id=wf,
                    seq=1,
                    event_type="modified",
                    category="definition",
                    actor="forger",
                    details={},
                    prev_hash=audit.GENESIS,
                    hash=first.hash,
                )
            )


async def test_concurrent_appends_do_not_fork_the_chain(runtime: Runtime, tenant: TenantCtx):
    wf = await make_workflow(runtime.db, tenant.id)

    async def one(n: int) -> None:
        await add_entry(runtime.db, tenant.id, wf, details={"n": n})

    await asyncio.gather(*(one(n) for n in range(12)))
    rows = await _entries(runtime, tenant.id, wf)
    assert [r.seq for r in rows] == list(range(1, 13))
    assert sorted(r.details["n"] for r in rows) == list(range(12))
    async with runtime.db.tenant_session(tenant.id) as session:
        result = await audit.verify(session, tenant.id, wf)
    assert result.ok and result.entries == 12 and result.head_hash == rows[-1].hash


async def test_append_takes_the_write_lock_when_given_the_database(
    runtime: Runtime, tenant: TenantCtx
):
    wf = await make_workflow(runtime.db, tenant.id)

    async def one(n: int) -> None:
        session = runtime.db.tenant_session(tenant.id)
        async with runtime.db.transaction(session, write=False):
            await asyncio.sleep(0)  # let the others read before anyone writes
            await audit.append(
                session, tenant.id, wf, "modified", "definition", "k", {"n": n}, db=runtime.db
            )

    await asyncio.gather(*(one(n) for n in range(6)))
    assert [r.seq for r in await _entries(runtime, tenant.id, wf)] == list(range(1, 7))


async def test_query_filters_and_pages(runtime: Runtime, tenant: TenantCtx):
    wf = await make_workflow(runtime.db, tenant.id)
    kinds = [audit.CREATED, audit.MODIFIED, audit.VERSION_CREATED, audit.ACTIVATED, audit.MODIFIED]
    for hour, kind in enumerate(kinds):
        await add_entry(runtime.db, tenant.id, wf, kind, at=T0 + timedelta(hours=hour))
    other = await make_workflow(runtime.db, tenant.id, "other")
    await add_entry(runtime.db, tenant.id, other, audit.MODIFIED, at=T0)

    async with runtime.db.tenant_session(tenant.id) as session:
        rows, total = await audit.query(session, tenant.id, wf, limit=2)
        assert total == 5 and [r.seq for r in rows] == [5, 4]
        rows, total = await audit.query(session, tenant.id, wf, offset=4, limit=2)
        assert total == 5 and [r.seq for r in rows] == [1]
        modified = audit.AuditFilter(event_type=audit.MODIFIED)
        rows, total = await audit.query(session, tenant.id, wf, modified)
        assert total == 2 and [r.seq for r in rows] == [5, 2]
        deployments = audit.AuditFilter(category=audit.DEPLOYMENT)
        rows, total = await audit.query(session, tenant.id, wf, deployments)
        assert total == 1 and rows[0].event_type == audit.ACTIVATED
        hours = audit.AuditFilter(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
        rows, total = await audit.query(session, tenant.id, wf, hours, newest_first=False)
        assert total == 2 and [r.seq for r in rows] == [2, 3]


async def test_export_csv_is_injection_safe(runtime: Runtime, tenant: TenantCtx):
    wf = await make_workflow(runtime.db, tenant.id)
    await add_entry(runtime.db, tenant.id, wf, audit.CREATED, actor='=HYPERLINK("x")')
    await add_entry(runtime.db, tenant.id, wf, audit.MODIFIED, actor="+1", details={"k": "v"})
    await add_entry(runtime.db, tenant.id, wf, audit.MODIFIED, actor="@SUM(A1)")
    await add_entry(runtime.db, tenant.id, wf, audit.MODIFIED, actor="-2")
    rows = await _entries(runtime, tenant.id, wf)

    parsed = list(csv.reader(io.StringIO(audit.export_csv(rows))))
    assert parsed[0] == ["seq", "at", "event_type", "category", "actor", "details", "hash"]
    assert [line[4] for line in parsed[1:]] == ['\'=HYPERLINK("x")', "'+1", "'@SUM(A1)", "'-2"]
    assert json.loads(parsed[2][5]) == {"k": "v"}
    assert parsed[1][0] == "1" and parsed[1][6] == rows[0].hash
    assert datetime.fromisoformat(parsed[1][1]) == rows[0].created_at


async def test_verify_passes_an_intact_log(runtime: Runtime, tenant: TenantCtx):
    wf = await make_workflow(runtime.db, tenant.id)
    async with runtime.db.tenant_session(tenant.id) as session:
        empty = await audit.verify(session, tenant.id, wf)
    assert empty.ok and empty.entries == 0 and empty.head_hash is None
    for n in range(7):
        await add_entry(runtime.db, tenant.id, wf, details={"n": n, "text": "zürich ✓"})
    async with runtime.db.tenant_session(tenant.id) as session:
        result = await audit.verify(session, tenant.id, wf, batch=3)  # crosses batch edges
    assert result.ok and result.entries == 7 and result.broken_at_seq is None


async def _verify(runtime: Runtime, tenant_id: str, workflow_id: str) -> audit.Verification:
    async with runtime.db.tenant_session(tenant_id) as session:
        return await audit.verify(session, tenant_id, workflow_id)


async def test_verify_finds_an_edited_entry(runtime: Runtime, tenant: TenantCtx):
    wf = await make_workflow(runtime.db, tenant.id)
    for n in range(4):
        await add_entry(runtime.db, tenant.id, wf, details={"n": n})
    await tamper(runtime.db, edit_details(wf, 2, {"n": 99}))
    result = await _verify(runtime, tenant.id, wf)
    assert not result.ok and result.broken_at_seq == 2 and result.entries == 1
    assert result.reason == "hash does not match the entry's content"


async def test_verify_finds_a_rehashed_entry(runtime: Runtime, tenant: TenantCtx):
    """A forger who recomputes the edited entry's hash breaks the next link instead."""
    wf = await make_workflow(runtime.db, tenant.id)
    for n in range(4):
        await add_entry(runtime.db, tenant.id, wf, details={"n": n})
    [row] = [r for r in await _entries(runtime, tenant.id, wf) if r.seq == 2]
    row.details = {"n": 99}
    forged = audit.hash_of(row)
    statement = edit_details(wf, 2, {"n": 99}).values(hash=forged)
    await tamper(runtime.db, statement)
    result = await _verify(runtime, tenant.id, wf)
    assert not result.ok and result.broken_at_seq == 3
    assert result.reason == "prev_hash does not match the previous entry's hash"


async def test_verify_finds_a_deleted_entry(runtime: Runtime, tenant: TenantCtx):
    wf = await make_workflow(runtime.db, tenant.id)
    for n in range(4):
        await add_entry(runtime.db, tenant.id, wf, details={"n": n})
    await tamper(runtime.db, remove_entry(wf, 2))
    result = await _verify(runtime, tenant.id, wf)
    assert not result.ok and result.broken_at_seq == 3
    assert result.reason == "sequence gap: expected entry 2, found 3"


async def test_verify_is_per_tenant(runtime: Runtime, tenant: TenantCtx, other_tenant):
    wf = await make_workflow(runtime.db, tenant.id)
    await add_entry(runtime.db, tenant.id, wf)
    result = await _verify(runtime, other_tenant.id, wf)
    assert result.ok and result.entries == 0
    async with runtime.db.tenant_session(other_tenant.id) as session:
        assert not await audit.exists(session, other_tenant.id, wf)


async def test_details_may_hold_models_and_datetimes(runtime: Runtime, tenant: TenantCtx):
    from frontdesk.workflows.diff import diff

    wf = await make_workflow(runtime.db, tenant.id)
    summary = diff({}, {"nodes": [{"id": "a", "type": "start"}]}).summary
    entry = await add_entry(runtime.db, tenant.id, wf, details={"definition": summary, "at": T0})
    assert entry.details["definition"]["nodes_added"] == 1
    assert entry.details["at"] == "2026-11-01T09:00:00.123456Z"
    assert (await _verify(runtime, tenant.id, wf)).ok
