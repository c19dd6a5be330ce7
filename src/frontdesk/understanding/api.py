"""Understanding routes: intent training data, model versions, and the analysis of a text."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import delete, select

from frontdesk.core.auth import Principal
from frontdesk.core.body import read_text
from frontdesk.core.deps import RuntimeDep, SessionDep, require
from frontdesk.core.errors import NotFound
from frontdesk.tenants.settings import tenant_preferences
from frontdesk.understanding import service
from frontdesk.understanding.models import IntentExample, IntentModel
from frontdesk.understanding.schemas import (
    Added,
    AnalyzeIn,
    ExamplePublic,
    ExamplesIn,
    IntentModelPublic,
)

router = APIRouter(prefix="/api/v1/understanding", tags=["understanding"])
Reader = Annotated[Principal, Depends(require("nlu:read"))]
Writer = Annotated[Principal, Depends(require("nlu:write"))]


@router.get("/intents")
async def list_intents(session: SessionDep, principal: Reader) -> dict[str, int]:
    """Each intent with its number of examples."""
    return await service.intent_counts(session, principal.tenant_id)


@router.get("/examples", response_model=list[ExamplePublic])
async def list_examples(
    session: SessionDep,
    principal: Reader,
    intent: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[Any]:
    """Training examples, optionally of one intent."""
    stmt = select(IntentExample).where(IntentExample.tenant_id == principal.tenant_id)
    if intent:
        stmt = stmt.where(IntentExample.intent == intent)
    stmt = stmt.order_by(IntentExample.intent, IntentExample.id).limit(limit).offset(offset)
    return list((await session.scalars(stmt)).all())


@router.post("/examples", response_model=Added, status_code=201)
async def add_examples(body: ExamplesIn, session: SessionDep, principal: Writer) -> Added:
    """Add examples (JSON)."""
    pairs = [(e.intent, e.text) for e in body.examples]
    return Added(added=await service.add_examples(session, principal.tenant_id, pairs))


@router.post("/examples/import", response_model=Added, status_code=201)
async def import_examples(request: Request, session: SessionDep, principal: Writer) -> Added:
    """Add examples from a CSV body (``text/csv``; columns ``text`` and ``intent``)."""
    pairs = service.parse_csv(await read_text(request, "text/csv"))
    return Added(added=await service.add_examples(session, principal.tenant_id, pairs))


@router.delete("/examples/{example_id}", status_code=204)
async def delete_example(example_id: str, session: SessionDep, principal: Writer) -> Response:
    """Delete one example."""
    result = await session.execute(
        delete(IntentExample).where(
            IntentExample.id == example_id, IntentExample.tenant_id == principal.tenant_id
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound("No such example")
    await session.commit()
    return Response(status_code=204)


@router.get("/models", response_model=list[IntentModelPublic])
async def list_models(session: SessionDep, principal: Reader) -> list[Any]:
    """Trained versions, newest first."""
    stmt = (
        select(IntentModel)
        .where(IntentModel.tenant_id == principal.tenant_id)
        .order_by(IntentModel.version.desc())
    )
    return list((await session.scalars(stmt)).all())


@router.post("/models", response_model=IntentModelPublic, status_code=202)
async def train(session: SessionDep, principal: Writer, runtime: RuntimeDep) -> Any:
    """Train a new version from the current examples (a background job)."""
    model = await service.start_training(session, runtime.queue, principal.tenant_id)
    runtime.wake_workers()
    return model


@router.get("/models/{model_id}", response_model=IntentModelPublic)
async def get_model(model_id: str, session: SessionDep, principal: Reader) -> Any:
    """One version with its evaluation report."""
    return await service.get_model(session, principal.tenant_id, model_id)


@router.post("/models/{model_id}/activate", response_model=IntentModelPublic)
async def activate(
    model_id: str, session: SessionDep, principal: Writer, runtime: RuntimeDep
) -> Any:
    """Classify the tenant's messages with this version from now on."""
    model = await service.activate(session, principal.tenant_id, model_id)
    runtime.intents.forget(principal.tenant_id)
    return model


@router.post("/analyze")
async def analyze(
    body: AnalyzeIn, session: SessionDep, principal: Reader, runtime: RuntimeDep
) -> dict[str, Any]:
    """Language, intent, entities and sentiment of a text, as the pipeline would see it."""
    prefs = tenant_preferences(await runtime.tenants.by_id(principal.tenant_id))
    result = await service.understand(
        runtime, session, principal.tenant_id, prefs, body.text, detect_language=True
    )
    return result.as_dict()
