"""FAQ routes: CRUD, matching, bulk import/export and reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from frontdesk.core.auth import Principal
from frontdesk.core.clock import utcnow
from frontdesk.core.deps import RuntimeDep, SessionDep, require
from frontdesk.knowledge import faq_io, service
from frontdesk.knowledge.schemas import (
    FaqCreate,
    FaqHitRate,
    FaqImportResult,
    FaqMatchPublic,
    FaqPublic,
    FaqUpdate,
    UnansweredQuestion,
)
from frontdesk.tenants.settings import tenant_preferences

router = APIRouter(prefix="/api/v1/faq", tags=["faq"])
Reader = Annotated[Principal, Depends(require("faq:read"))]
Writer = Annotated[Principal, Depends(require("faq:write"))]


class MatchRequest(BaseModel):
    """A question to test against the FAQ."""

    text: str = Field(min_length=1, max_length=4096)


@router.get("", response_model=list[FaqPublic])
async def list_faq(
    session: SessionDep,
    principal: Reader,
    category: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[object]:
    """List FAQ entries."""
    return list(
        await service.list_entries(
            session, principal.tenant_id, category=category, limit=limit, offset=offset
        )
    )


@router.post("", response_model=FaqPublic, status_code=201)
async def create_faq(
    data: FaqCreate, session: SessionDep, principal: Writer, runtime: RuntimeDep
) -> object:
    """Create an FAQ entry."""
    return await service.create_entry(session, runtime.faq, principal.tenant_id, data)


@router.post("/match", response_model=FaqMatchPublic)
async def match_faq(
    body: MatchRequest, session: SessionDep, principal: Reader, runtime: RuntimeDep
) -> FaqMatchPublic:
    """Test which entry a question would be answered with, and its score."""
    tenant = await runtime.tenants.by_id(principal.tenant_id)
    threshold = tenant_preferences(tenant).faq_threshold
    match = await runtime.faq.match(session, principal.tenant_id, body.text)
    if match is None:
        return FaqMatchPublic(
            entry_id=None, answer=None, score=0, matched=None, above_threshold=False
        )
    return FaqMatchPublic(
        entry_id=match.entry_id,
        answer=match.answer,
        score=match.score,
        matched=match.matched,
        above_threshold=match.score >= threshold,
    )


@router.get("/export", response_class=Response)
async def export_faq(
    session: SessionDep, principal: Reader, format: faq_io.Format = "json"
) -> Response:
    """Every entry as CSV, JSON or XLSX."""
    entries = await service.list_entries(session, principal.tenant_id, limit=faq_io.MAX_ROWS)
    media = {
        "json": "application/json",
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[format]
    return Response(
        faq_io.export(entries, format),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="faq.{format}"'},
    )


@router.post("/import", response_model=FaqImportResult)
async def import_faq(
    request: Request,
    session: SessionDep,
    principal: Writer,
    runtime: RuntimeDep,
    format: faq_io.Format = "json",
) -> FaqImportResult:
    """Create or update entries (by question) from a CSV, JSON or XLSX body."""
    entries = faq_io.parse(await request.body(), format)
    return await faq_io.import_entries(session, runtime.faq, principal.tenant_id, entries)


@router.get("/reports/hit-rate", response_model=FaqHitRate)
async def report_hit_rate(
    session: SessionDep, principal: Reader, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> FaqHitRate:
    """The share of customer questions the FAQ answered over the last ``days``."""
    since = service.since_days(utcnow(), days)
    return await service.hit_rate(session, principal.tenant_id, since, days)


@router.get("/reports/unanswered", response_model=list[UnansweredQuestion])
async def report_unanswered(
    session: SessionDep,
    principal: Reader,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[UnansweredQuestion]:
    """The questions the FAQ could not answer, most frequent first: candidates for new entries."""
    since = service.since_days(utcnow(), days)
    return await service.unanswered(session, principal.tenant_id, since, limit)


@router.get("/{entry_id}", response_model=FaqPublic)
async def get_faq(entry_id: str, session: SessionDep, principal: Reader) -> object:
    """Read one FAQ entry."""
    return await service.get_entry(session, principal.tenant_id, entry_id)


@router.patch("/{entry_id}", response_model=FaqPublic)
async def update_faq(
    entry_id: str, data: FaqUpdate, session: SessionDep, principal: Writer, runtime: RuntimeDep
) -> object:
    """Change an FAQ entry."""
    return await service.update_entry(session, runtime.faq, principal.tenant_id, entry_id, data)


@router.delete("/{entry_id}", status_code=204)
async def delete_faq(
    entry_id: str, session: SessionDep, principal: Writer, runtime: RuntimeDep
) -> Response:
    """Delete an FAQ entry."""
    await service.delete_entry(session, runtime.faq, principal.tenant_id, entry_id)
    return Response(status_code=204)
