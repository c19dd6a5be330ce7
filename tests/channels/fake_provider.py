"""A local fake of every provider's send API: records requests, can answer 429, 500 or hang.

Runs uvicorn in a thread with its own event loop, so tests (any loop) and benchmarks share it.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.local_server import ThreadedServer

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str]

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass
class Scripted:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    hang: float = 0.0


class FakeProvider(ThreadedServer):
    """Start with :meth:`start`; ``requests`` holds every call; ``script`` queues odd answers."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Recorded] = []
        self.script: list[Scripted] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.script.clear()

    def start(self) -> FakeProvider:
        self.serve(Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])]))
        return self

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Recorded]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.requests)

    async def await_for(self, count: int, timeout: float = 10.0) -> list[Recorded]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return list(self.requests)

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        recorded = Recorded(
            request.method,
            request.url.path,
            {k.lower(): v for k, v in request.headers.items()},
            body,
            dict(request.query_params),
        )
        with self._lock:
            self.requests.append(recorded)
            scripted = self.script.pop(0) if self.script else None
        if scripted is not None:
            if scripted.hang:
                await asyncio.sleep(scripted.hang)
            return JSONResponse(
                scripted.body if scripted.body is not None else {"error": "scripted"},
                status_code=scripted.status,
                headers=scripted.headers,
            )
        if request.method == "GET":
            return self._file(recorded)
        return JSONResponse(*self._success(recorded))

    def _file(self, r: Recorded) -> Response:
        """GETs: a media URL lookup (WhatsApp id, Telegram getFile) or the file itself."""
        if r.path.startswith("/files/"):
            size = int(r.query.get("size", "100"))
            return Response(JPEG + b"\0" * size, media_type="application/octet-stream")
        if r.path.endswith("/getFile"):
            return JSONResponse({"ok": True, "result": {"file_path": "photos/file_1.jpg"}})
        if r.path.startswith("/file/bot"):
            return Response(JPEG + b"\0" * 100)
        size = "100000" if "BIG" in r.path else "100"
        return JSONResponse({"url": f"{self.url}/files/{r.path.strip('/')}.jpg?size={size}"})

    def _success(self, r: Recorded) -> tuple[Any, int]:
        n = next(self._ids)
        path = r.path
        if path.startswith("/echo/"):  # any API a workflow's HTTP action calls
            return {"ok": True, "n": n, "path": path}, 200
        if path.startswith("/bot"):
            if path.endswith("/answerCallbackQuery"):
                return {"ok": True, "result": True}, 200
            chat = r.json.get("chat_id")
            return {"ok": True, "result": {"message_id": n, "chat": {"id": chat}}}, 200
        if path.endswith("/chat.postMessage"):
            return {"ok": True, "channel": r.json.get("channel"), "ts": f"{n}.000100"}, 200
        if path == "/me/messages":
            return {"recipient_id": r.json["recipient"]["id"], "message_id": f"m_{n}"}, 200
        if path.endswith("/Messages.json"):
            return {"sid": f"SM{n:032d}", "status": "queued"}, 201
        if path == "/v2/send":
            return {"timestamp": str(1700000000000 + n)}, 201
        if path.endswith("/messages"):
            to = r.json.get("to")
            return {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": f"wamid.fake{n}"}],
            }, 200
        return {"error": "unknown path"}, 404
