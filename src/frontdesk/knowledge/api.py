"""FAQ routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from frontdesk.core.auth import Principal
from frontdesk.core.deps import RuntimeDep, SessionDep, require
from frontdesk.knowledge import service
from frontdesk.knowledge.schemas import FaqCreate, FaqMatchPublic, FaqPublic, FaqUpdate
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
