"""Public web chat routes (used by the widget): sessions, messages, and a live stream (SSE)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from frontdesk.conversations.schemas import CustomerMessage
from frontdesk.core.body import documented_body, read_json
from frontdesk.core.deps import RuntimeDep, bearer_token, get_runtime
from frontdesk.core.errors import ValidationFailed
from frontdesk.intake.webchat import SessionRef, WebchatService, thread_key

router = APIRouter(prefix="/api/v1/webchat", tags=["webchat"])
STREAM_RECHECK = 1.0  # seconds; catches replies written by workers in other processes
STREAM_HEARTBEAT = 15
JSON = "application/json"


class SessionCreated(BaseModel):
    """A new web chat session and the bearer token that opens it."""

    session_id: str
    token: str


class MessageIn(BaseModel):
    """A visitor's message."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)

    @field_validator("text")
    @classmethod
    def _clean(cls, value: str) -> str:
        value = "".join(ch for ch in value if ch in "\n\t" or ch.isprintable()).strip()
        if not value:
            raise ValueError("text is empty")
        return value


class MessageAccepted(BaseModel):
    """The id under which an accepted message will appear in the conversation."""

    message_id: str


async def webchat(request: Request) -> WebchatService:
    """The process's web chat service."""
    service: WebchatService = request.app.state.webchat
    return service


WebchatDep = Annotated[WebchatService, Depends(webchat)]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _session(session_id: str, request: Request, service: WebchatDep) -> SessionRef:
    token = request.query_params.get("token") if request.scope["path"].endswith("/stream") else None
    return await service.verify(session_id, token or await bearer_token(request))


SessionDep = Annotated[SessionRef, Depends(_session)]


@router.post("/{tenant}/sessions", response_model=SessionCreated, status_code=201)
async def create_session(
    tenant: str, request: Request, runtime: RuntimeDep, service: WebchatDep
) -> SessionCreated:
    """Open a web chat session for a visitor of ``tenant``."""
    info = await runtime.tenants.by_slug(tenant)
    await service.limit(info.id, _client_ip(request))
    session_id, token = await service.create_session(info)
    return SessionCreated(session_id=session_id, token=token)


# The hottest public route calls its dependencies itself: FastAPI's solving of them cost more
# than the rest of its own work. It answers with bytes for the same reason.
@router.post(
    "/sessions/{session_id}/messages",
    response_model=MessageAccepted,
    status_code=202,
    openapi_extra=documented_body(MessageIn),
)
async def post_message(session_id: str, request: Request) -> Response:
    """Accept a message: answered 202 only once it is durably stored with its job."""
    runtime, service = await get_runtime(request), await webchat(request)
    ref = await _session(session_id, request, service)
    tenant = await runtime.tenants.by_id(ref.tenant_id)
    await service.limit(tenant.id, _client_ip(request))
    body = await read_json(request, MessageIn)
    if len(body.text) > runtime.settings.max_text_chars:
        raise ValidationFailed(f"text is over {runtime.settings.max_text_chars} characters")
    message_id = await service.accept(ref, tenant, body.text)
    return Response(orjson.dumps({"message_id": message_id}), 202, media_type=JSON)


@router.get("/sessions/{session_id}/messages", response_model=list[CustomerMessage])
async def list_messages(
    request: Request,
    ref: SessionDep,
    service: WebchatDep,
    after: Annotated[str | None, Query(max_length=36)] = None,
) -> list[object]:
    """The conversation so far, or only what came after message ``after``."""
    await service.limit(ref.tenant_id, _client_ip(request), write=False)
    return list(await service.messages(ref, after))


@router.get("/sessions/{session_id}/stream")
async def stream(
    request: Request,
    ref: SessionDep,
    runtime: RuntimeDep,
    service: WebchatDep,
    after: Annotated[str | None, Query(max_length=36)] = None,
) -> StreamingResponse:
    """Server-sent events: one ``message`` event per new message, live.

    EventSource cannot send headers, so this route also takes the token as ``?token=``.
    """
    await service.limit(ref.tenant_id, _client_ip(request), write=False)

    async def events() -> AsyncIterator[bytes]:
        last = after
        key = thread_key(ref.channel_id, ref.id)
        idle = 0
        while True:
            for message in await service.messages(ref, last):
                last, idle = message.id, 0
                data = CustomerMessage.model_validate(message).model_dump(mode="json")
                yield (
                    b"id: "
                    + message.id.encode()
                    + b"\nevent: message\ndata: "
                    + orjson.dumps(data)
                    + b"\n\n"
                )
            if not await runtime.hub.wait(key, STREAM_RECHECK):
                idle += 1
                if idle % STREAM_HEARTBEAT == 0:
                    yield b": keep-alive\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
