"""Assessment routes: definitions (CRUD, versions) and the results of their runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime

from frontdesk.assessments import service
from frontdesk.assessments.schemas import (
    AssessmentIn,
    AssessmentPatch,
    AssessmentPublic,
    AssessmentResultPublic,
    AssessmentSummary,
    AssessmentVersionPublic,
    RunStatus,
)
from frontdesk.core.auth import Principal
from frontdesk.core.deps import SessionDep, require
from frontdesk.core.errors import NotFound

router = APIRouter(prefix="/api/v1/assessments", tags=["assessments"])
Reader = Annotated[Principal, Depends(require("assessments:read"))]
Writer = Annotated[Principal, Depends(require("assessments:write"))]


@router.get("", response_model=list[AssessmentSummary])
async def list_assessments(
    session: SessionDep, principal: Reader, enabled: bool | None = None
) -> list[Any]:
    """The tenant's assessments."""
    return list(await service.list_assessments(session, principal.tenant_id, enabled))


@router.post("", response_model=AssessmentPublic, status_code=201)
async def create_assessment(body: AssessmentIn, session: SessionDep, principal: Writer) -> Any:
    """Create an assessment from its definition (version 1)."""
    return await service.create(session, principal.tenant_id, body)


@router.get("/{key}", response_model=AssessmentPublic)
async def get_assessment(
    key: str,
    session: SessionDep,
    principal: Reader,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> Any:
    """An assessment with its current definition, or the definition of ``version``."""
    assessment = await service.get(session, principal.tenant_id, key)
    public = AssessmentPublic.model_validate(assessment)
    if version is None or version == assessment.version:
        return public
    definition = await service.version_definition(
        session, principal.tenant_id, assessment.id, version
    )
    if definition is None:
        raise NotFound("Unknown version")
    return public.model_copy(update={"version": version, "definition": definition.stored()})


@router.put("/{key}", response_model=AssessmentPublic)
async def replace_assessment(
    key: str, body: AssessmentIn, session: SessionDep, principal: Writer
) -> Any:
    """Replace the definition; a changed one becomes the next version.

    ``enabled`` is kept as it is unless the body gives it.
    """
    return await service.replace(session, principal.tenant_id, key, body)


@router.patch("/{key}", response_model=AssessmentPublic)
async def enable_assessment(
    key: str, body: AssessmentPatch, session: SessionDep, principal: Writer
) -> Any:
    """Enable or disable an assessment."""
    return await service.set_enabled(session, principal.tenant_id, key, body.enabled)


@router.delete("/{key}", status_code=204)
async def delete_assessment(key: str, session: SessionDep, principal: Writer) -> Response:
    """Delete an assessment with its versions and results."""
    await service.delete(session, principal.tenant_id, key)
    return Response(status_code=204)


@router.get("/{key}/versions", response_model=list[AssessmentVersionPublic])
async def list_versions(key: str, session: SessionDep, principal: Reader) -> list[Any]:
    """The versions of an assessment, newest first."""
    return list(await service.versions(session, principal.tenant_id, key))


@router.get("/{key}/results", response_model=list[AssessmentResultPublic])
async def list_results(
    key: str,
    session: SessionDep,
    principal: Reader,
    status: RunStatus | None = None,
    conversation_id: str | None = None,
    contact_id: str | None = None,
    band: str | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[Any]:
    """Runs of an assessment, newest first, in progress ones included."""
    where = service.ResultFilter(status, conversation_id, contact_id, band, since, until)
    return list(await service.list_results(session, principal.tenant_id, key, where, limit, offset))


@router.get("/{key}/results/{result_id}", response_model=AssessmentResultPublic)
async def get_result(key: str, result_id: str, session: SessionDep, principal: Reader) -> Any:
    """One run of an assessment."""
    return await service.get_result(session, principal.tenant_id, key, result_id)
