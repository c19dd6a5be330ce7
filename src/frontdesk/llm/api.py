"""LLM routes: settings, provider health, usage, and completions for tenant tools."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query
from starlette.responses import StreamingResponse

from frontdesk.core.auth import Principal
from frontdesk.core.deps import RuntimeDep, SessionDep, require
from frontdesk.core.errors import FrontdeskError
from frontdesk.core.http import check_url
from frontdesk.llm import service
from frontdesk.llm.breaker import CLOSED
from frontdesk.llm.errors import NotConfiguredError
from frontdesk.llm.schemas import (
    Completion,
    CompletionRequest,
    LLMSettingsPublic,
    LLMSettingsUpdate,
    NotConfigured,
    ProviderStatus,
    UsageReport,
)

router = APIRouter(prefix="/api/v1/llm", tags=["llm"])
Reader = Annotated[Principal, Depends(require("llm:read"))]
Writer = Annotated[Principal, Depends(require("llm:write"))]
User = Annotated[Principal, Depends(require("llm:use"))]


@router.get("/settings", response_model=LLMSettingsPublic)
async def get_settings(
    session: SessionDep, principal: Reader, runtime: RuntimeDep
) -> LLMSettingsPublic:
    """The tenant's LLM providers (keys never shown), preference, budget and cap."""
    return await service.get_settings(session, principal.tenant_id, runtime.settings)


@router.patch("/settings", response_model=LLMSettingsPublic)
async def update_settings(
    change: LLMSettingsUpdate, principal: Writer, runtime: RuntimeDep
) -> LLMSettingsPublic:
    """Change the tenant's LLM settings; API keys are stored encrypted.

    Base URLs are checked against the SSRF guard first (``unsafe_url`` 400), outside the
    transaction since the check resolves host names.
    """
    for provider in change.providers or []:
        if provider.base_url:
            await check_url(runtime.settings, provider.base_url)
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        public = await service.update_settings(
            session, runtime.keyring, runtime.settings, principal.tenant_id, change
        )
    await runtime.llm.forget(principal.tenant_id)
    return public


@router.get("/providers", response_model=list[ProviderStatus])
async def providers(
    session: SessionDep, principal: Reader, runtime: RuntimeDep
) -> list[ProviderStatus]:
    """Each configured provider: whether it has a key, and its circuit breaker."""
    # The configuration first: loading it may reveal vault keys, each in its own write
    # transaction, best not begun while this request's session holds a read open.
    config = await runtime.llm.tenant_config(principal.tenant_id)
    settings = await service.get_settings(session, principal.tenant_id, runtime.settings)
    ready = {p.name for p in config.providers}
    listed = [(p.name, p.kind) for p in settings.providers] or [
        (p.name, p.kind) for p in config.providers
    ]
    breakers = await runtime.llm.breakers.all(principal.tenant_id)
    out = []
    for name, kind in listed:
        state = breakers.get(name)
        out.append(
            ProviderStatus(
                name=name,
                kind=kind,
                ready=name in ready,
                breaker=cast(Any, state.state if state else CLOSED),
                failures=state.failures if state else 0,
                open_until=state.open_until if state else None,
                last_error=state.last_error if state else None,
            )
        )
    return out


@router.get("/usage", response_model=UsageReport)
async def usage(
    session: SessionDep,
    principal: Reader,
    runtime: RuntimeDep,
    period: Annotated[str, Query(max_length=10)] = "month",
    service_name: Annotated[str | None, Query(alias="service", max_length=64)] = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
) -> UsageReport:
    """Usage totals and the latest calls; ``period`` is ``month``, ``YYYY-MM`` or ``Nd``."""
    await runtime.llm.flush()  # this process's calls not yet written
    settings = await service.get_settings(session, principal.tenant_id, runtime.settings)
    return await service.usage_report(
        session,
        principal.tenant_id,
        period,
        service_name,
        model,
        settings.monthly_budget_usd,
        limit,
    )


@router.post("/complete", response_model=Completion | NotConfigured)
async def complete(
    request: CompletionRequest, principal: User, runtime: RuntimeDep
) -> Completion | NotConfigured:
    """Generate an answer; ``status`` is ``not_configured`` when the tenant has no provider."""
    return await runtime.llm.complete(principal.tenant_id, request)


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


@router.post("/stream", response_class=StreamingResponse)
async def stream(
    request: CompletionRequest, principal: User, runtime: RuntimeDep
) -> StreamingResponse:
    """Stream an answer as server-sent events.

    Events: ``token`` (``{"text"}``) in order, then ``done``; or ``error`` / ``not_configured``.
    """

    async def events() -> AsyncIterator[str]:
        try:
            async for text in runtime.llm.stream(principal.tenant_id, request):
                yield _sse("token", {"text": text})
        except NotConfiguredError as exc:
            yield _sse("not_configured", {"detail": exc.detail})
            return
        except FrontdeskError as exc:
            yield _sse("error", {"code": exc.code, "status": exc.status, "detail": exc.detail})
            return
        yield _sse("done", {})

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
