"""Builders for the audit-log tests: workflow rows, entries, and tampering past the triggers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, text, update

from frontdesk.core.db import Database
from frontdesk.workflows import audit
from frontdesk.workflows.models import Workflow, WorkflowAudit


async def make_workflow(db: Database, tenant_id: str, name: str = "Lead intake") -> str:
    """A workflow row, as the workflow service would create it."""
    async with db.tenant_tx(tenant_id) as session:
        workflow = Workflow(tenant_id=tenant_id, name=name)
        session.add(workflow)
        await session.flush()
        return workflow.id


async def add_entry(
    db: Database,
    tenant_id: str,
    workflow_id: str,
    event_type: str = audit.MODIFIED,
    *,
    actor: str = "apikey:k1",
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> WorkflowAudit:
    """Append one entry in its own write transaction."""
    async with db.tenant_tx(tenant_id) as session:
        return await audit.append(
            session,
            tenant_id,
            workflow_id,
            event_type,
            audit.CATEGORY_OF[event_type],
            actor,
            details or {},
            at=at,
        )


async def tamper(db: Database, statement: Any) -> None:
    """Run ``statement`` on workflow_audit with its append-only triggers out of the way."""
    async with db.system_tx() as session:
        if db.dialect == "postgresql":
            # DDL is transactional on PostgreSQL: the trigger is back when this commits.
            trigger = "TRIGGER workflow_audit_append_only"
            await session.execute(text(f"ALTER TABLE workflow_audit DISABLE {trigger}"))
            await session.execute(statement)
            await session.execute(text(f"ALTER TABLE workflow_audit ENABLE {trigger}"))
            return
        await session.execute(text("DROP TRIGGER workflow_audit_no_update"))
        await session.execute(text("DROP TRIGGER workflow_audit_no_delete"))
        await session.execute(statement)


def edit_details(workflow_id: str, seq: int, details: dict[str, Any]) -> Any:
    """An UPDATE that rewrites one entry's details."""
    return (
        update(WorkflowAudit)
        .where(WorkflowAudit.workflow_id == workflow_id, WorkflowAudit.seq == seq)
        .values(details=details)
    )


def remove_entry(workflow_id: str, seq: int) -> Any:
    """A DELETE of one entry."""
    return delete(WorkflowAudit).where(
        WorkflowAudit.workflow_id == workflow_id, WorkflowAudit.seq == seq
    )
