"""Dashboard figures and the console's live event stream (SSE)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from frontdesk.core.auth import Principal
from frontdesk.core.clock import utcnow
from frontdesk.core.deps import RuntimeDep, SessionDep, require
from frontdesk.core.live import Hub
from frontdesk.core.outbox import Event
from frontdesk.dashboard import service
from frontdesk.dashboard.schemas import Bucket, LiveEvent, Stats
from frontdesk.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["dashboard"])
Reader = Annotated[Principal, Depends(require("conversations:read"))]
RECHECK = 1.0  # seconds; catches events committed by other processes
HEARTBEAT = 15
# Events are read by creation time; one committed up to this long after its creation is
# still relayed (the ids already sent are remembered for the same span).
LATE_COMMIT = timedelta(seconds=10)


def events_key(tenant_id: str) -> str:
    """The live-hub key woken when a tenant's event is delivered."""
    return f"events:{tenant_id}"


def relay(hub: Hub):  # type: ignore[no-untyped-def]
    """An outbox subscriber that wakes the tenant's console streams."""

    async def wake(event: Event) -> None:
        if event.tenant_id:
            hub.notify(events_key(event.tenant_id))

    return wake


@router.get("/stats", response_model=Stats)
async def stats(
    session: SessionDep,
    principal: Reader,
    hours: Annotated[int, Query(ge=1, le=24 * 90)] = 24,
    bucket: Bucket = "hour",
) -> Stats:
    """Message volume by channel per period, conversation states, jobs and reply latency."""
    return await service.stats(session, principal.tenant_id, hours, bucket)


async def _stream(runtime: Runtime, tenant_id: str) -> AsyncIterator[bytes]:
    sent: dict[str, datetime] = {}
    since = utcnow()
    idle = 0
    yield b"retry: 2000\n\n"
    while True:
        async with runtime.db.tenant_session(tenant_id) as session:
            rows = await service.recent_events(session, tenant_id, since - LATE_COMMIT)
        for row in rows:
            if row.id in sent:
                continue
            sent[row.id] = row.created_at
            since = max(since, row.created_at)
            idle = 0
            data = LiveEvent.model_validate(row, from_attributes=True).model_dump(mode="json")
            yield (
                b"id: "
                + row.id.encode()
                + b"\nevent: domain\ndata: "
                + orjson.dumps(data)
                + b"\n\n"
            )
        for event_id, created in list(sent.items()):
            if created < since - LATE_COMMIT:
                del sent[event_id]
        if not await runtime.hub.wait(events_key(tenant_id), RECHECK):
            idle += 1
            if idle % HEARTBEAT == 0:
                yield b": keep-alive\n\n"


@router.get("/events/stream")
async def events_stream(runtime: RuntimeDep, principal: Reader) -> StreamingResponse:
    """Server-sent events: each new domain event of the tenant (``event: domain``), live.

    Same-origin ``EventSource`` sends the session cookie, so the console needs no token here.
    """
    return StreamingResponse(
        _stream(runtime, principal.tenant_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
