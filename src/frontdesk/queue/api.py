"""Queue routes: depth and the tenant's dead letters (inspect, replay, discard)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict

from frontdesk.core.auth import Principal
from frontdesk.core.deps import RuntimeDep, SessionDep, require
from frontdesk.queue.sql import DeadLetters

router = APIRouter(prefix="/api/v1/queue", tags=["queue"])
Reader = Annotated[Principal, Depends(require("queue:read"))]
Writer = Annotated[Principal, Depends(require("queue:write"))]


class JobPublic(BaseModel):
    """A job as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    status: str
    priority: int
    ordering_key: str | None
    attempts: int
    max_attempts: int
    payload: dict[str, Any]
    last_error: str | None
    correlation_id: str | None
    created_at: datetime
    run_at: datetime
    finished_at: datetime | None


@router.get("/dead-letters", response_model=list[JobPublic])
async def list_dead_letters(
    session: SessionDep,
    principal: Reader,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[object]:
    """Jobs that failed every attempt, newest first."""
    return list(await DeadLetters(session, principal.tenant_id).list(limit, offset, kind))


@router.get("/dead-letters/{job_id}", response_model=JobPublic)
async def get_dead_letter(job_id: str, session: SessionDep, principal: Reader) -> object:
    """One dead letter, with its last error."""
    return await DeadLetters(session, principal.tenant_id).get(job_id)


@router.post("/dead-letters/{job_id}/replay", response_model=JobPublic)
async def replay_dead_letter(
    job_id: str, session: SessionDep, principal: Writer, runtime: RuntimeDep
) -> object:
    """Queue a dead letter again with a fresh attempt budget."""
    job = await DeadLetters(session, principal.tenant_id).replay(job_id)
    await session.commit()
    runtime.wake_workers()
    return job


@router.delete("/dead-letters/{job_id}", status_code=204)
async def discard_dead_letter(job_id: str, session: SessionDep, principal: Writer) -> Response:
    """Delete a dead letter for good."""
    await DeadLetters(session, principal.tenant_id).discard(job_id)
    await session.commit()
    return Response(status_code=204)
