"""Audit-log routes of a workflow: list (filtered, paginated), CSV export, chain verification."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.auth import Principal
from frontdesk.core.deps import SessionDep, require
from frontdesk.core.errors import NotFound, ValidationFailed
from frontdesk.workflows import audit
from frontdesk.workflows.audit import AuditFilter, Category, EventType, Verification

router = APIRouter(prefix="/api/v1/workflows", tags=["workflows"])
Reader = Annotated[Principal, Depends(require("workflows:read"))]
MAX_EXPORT = 100_000


class AuditEntryPublic(BaseModel):
    """One audit entry as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    seq: int
    at: datetime = Field(validation_alias="created_at")
    event_type: str
    category: str
    actor: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    """A page of audit entries, newest first, and how many match in all."""

    items: list[AuditEntryPublic]
    total: int
    offset: int
    limit: int


def _filters(
    event_type: EventType | None = None,
    category: Category | None = None,
    since: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    until: Annotated[AwareDatetime | None, Query(alias="to")] = None,
) -> AuditFilter:
    if since and until and since > until:
        raise ValidationFailed("'from' is after 'to'")
    return AuditFilter(event_type, category, since, until)


FiltersDep = Annotated[AuditFilter, Depends(_filters)]


async def _owned(session: AsyncSession, tenant_id: str, workflow_id: str) -> None:
    if not await audit.exists(session, tenant_id, workflow_id):
        raise NotFound("Workflow not found")


@router.get("/{workflow_id}/audit-log", response_model=AuditPage)
async def list_audit_log(
    workflow_id: str,
    where: FiltersDep,
    session: SessionDep,
    principal: Reader,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPage:
    """The workflow's audit entries matching the filters, newest first."""
    await _owned(session, principal.tenant_id, workflow_id)
    rows, total = await audit.query(
        session, principal.tenant_id, workflow_id, where, offset=offset, limit=limit
    )
    items = [AuditEntryPublic.model_validate(row) for row in rows]
    return AuditPage(items=items, total=total, offset=offset, limit=limit)


@router.get("/{workflow_id}/audit-log/export")
async def export_audit_log(
    workflow_id: str,
    where: FiltersDep,
    session: SessionDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=MAX_EXPORT)] = MAX_EXPORT,
) -> Response:
    """The matching entries as a CSV download, oldest first."""
    await _owned(session, principal.tenant_id, workflow_id)
    rows, _ = await audit.query(
        session, principal.tenant_id, workflow_id, where, limit=limit, newest_first=False
    )
    safe_id = re.sub(r"[^A-Za-z0-9_-]", "", workflow_id)[:64]
    filename = f"workflow-{safe_id}-audit.csv"
    return Response(
        audit.export_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/{workflow_id}/audit-log/verify", response_model=Verification)
async def verify_audit_log(
    workflow_id: str, session: SessionDep, principal: Reader
) -> Verification:
    """Recompute the workflow's hash chain and report the first broken link, if any."""
    await _owned(session, principal.tenant_id, workflow_id)
    return await audit.verify(session, principal.tenant_id, workflow_id)
