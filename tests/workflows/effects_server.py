"""A local fake HTTP API for the workflow effect tests: records requests, answers as scripted.

Runs uvicorn on 127.0.0.1 in its own thread and event loop, so a hanging answer never blocks
the test's loop. ``token`` makes it demand ``Authorization: Bearer <token>`` (401 otherwise);
``on_request`` runs in the server thread before each answer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.channels.fake_provider import Recorded
from tests.local_server import ThreadedServer

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    raw: bytes | None = None
    content_type: str = "application/octet-stream"
    stream: bool = False


class FakeApi(ThreadedServer):
    """Start with :meth:`start`; ``requests`` holds every call; ``script`` queues answers."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Recorded] = []
        self.script: list[Answer] = []
        self.token: str | None = None
        self.on_request: Callable[[Recorded], None] | None = None
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.script.clear()
        self.token = None
        self.on_request = None

    def start(self) -> FakeApi:
        self.serve(Starlette(routes=[Route("/{path:path}", self._handle, methods=METHODS)]))
        return self

    async def _handle(self, request: Request) -> Response:
        recorded = Recorded(
            request.method,
            request.url.path,
            {k.lower(): v for k, v in request.headers.items()},
            await request.body(),
            dict(request.query_params),
        )
        with self._lock:
            self.requests.append(recorded)
        if self.on_request is not None:
            self.on_request(recorded)
        if self.token is not None and recorded.headers.get("authorization") != (
            f"Bearer {self.token}"
        ):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        with self._lock:
            answer = self.script.pop(0) if self.script else Answer(body={"ok": True})
        if answer.hang:
            await asyncio.sleep(answer.hang)
        if answer.stream and answer.raw is not None:
            return StreamingResponse(_chunks(answer.raw), media_type=answer.content_type)
        if answer.raw is not None:
            return Response(
                answer.raw, answer.status, answer.headers, media_type=answer.content_type
            )
        return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


async def _chunks(data: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
