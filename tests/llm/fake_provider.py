"""A scripted fake LLM provider speaking the OpenAI and Anthropic wire formats, over real HTTP.

Each test scripts a queue of behaviours per label (the first path segment, so one server can
play several providers): ``fake.script("primary", Reply.error(500), Reply.ok("hi"))``. An empty
queue answers ``Hello from <label>``. Every request is recorded. The server runs uvicorn on
127.0.0.1 in its own thread and event loop, so a hanging reply never blocks the test's loop.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.local_server import listening_socket


@dataclass
class Reply:
    """One scripted behaviour."""

    kind: str = "ok"  # ok | error | hang | malformed
    text: str = "Hello"
    status: int = 200
    retry_after: float | None = None
    delay: float = 0.0  # seconds before answering (hang) or between streamed tokens (slow)
    tokens_in: int = 12

    @classmethod
    def ok(cls, text: str = "Hello", tokens_in: int = 12) -> Reply:
        return cls(text=text, tokens_in=tokens_in)

    @classmethod
    def json(cls, value: Any) -> Reply:
        return cls(text=json.dumps(value))

    @classmethod
    def error(cls, status: int, retry_after: float | None = None) -> Reply:
        return cls(kind="error", status=status, retry_after=retry_after)

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Reply:
        return cls(kind="hang", delay=seconds)

    @classmethod
    def malformed(cls) -> Reply:
        return cls(kind="malformed")

    @classmethod
    def slow(cls, text: str, delay: float) -> Reply:
        return cls(text=text, delay=delay)


@dataclass
class Recorded:
    """A request the fake received."""

    label: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


def tokens_of(text: str) -> list[str]:
    """Split into word-ish pieces that join back to ``text``."""
    return re.findall(r"\s*\S+\s*", text) or [text]


class FakeProvider:
    """The fake server: script behaviours, read recorded requests, get base URLs."""

    def __init__(self) -> None:
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.app = Starlette(
            routes=[
                Route("/{label}/v1/chat/completions", self._openai, methods=["POST"]),
                Route(
                    "/{label}/openai/deployments/{deployment}/chat/completions",
                    self._openai,
                    methods=["POST"],
                ),
                Route("/{label}/v1/messages", self._anthropic, methods=["POST"]),
            ]
        )

    # -- control -------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def openai_url(self, label: str) -> str:
        return f"http://{self.host}/{label}/v1"

    def anthropic_url(self, label: str) -> str:
        return f"http://{self.host}/{label}"

    def azure_url(self, label: str) -> str:
        return f"http://{self.host}/{label}"

    def script(self, label: str, *replies: Reply) -> None:
        with self._lock:
            self._scripts[label].extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._scripts.clear()
            self.requests.clear()

    def received(self, label: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.label == label]

    def start(self) -> FakeProvider:
        sock = listening_socket()
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="error", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        while not self._server.started:
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._stopping = True
            self._server.should_exit = True
            self._thread.join(timeout=5)

    # -- handlers ------------------------------------------------------------------------
    async def _next(self, request: Request) -> tuple[str, dict[str, Any], Reply]:
        label = request.path_params["label"]
        body = json.loads(await request.body())
        with self._lock:
            self.requests.append(Recorded(label, request.url.path, dict(request.headers), body))
            queue = self._scripts[label]
            reply = queue.popleft() if queue else Reply.ok(f"Hello from {label}")
        return label, body, reply

    async def _failure(self, reply: Reply) -> Response | None:
        if reply.kind == "error":
            headers = {}
            if reply.retry_after is not None:
                headers["retry-after"] = str(reply.retry_after)
            error = {"error": {"type": "scripted", "message": f"scripted {reply.status}"}}
            return JSONResponse(error, status_code=reply.status, headers=headers)
        if reply.kind == "hang":
            deadline = time.monotonic() + reply.delay
            while time.monotonic() < deadline and not self._stopping:
                await asyncio.sleep(0.05)
            return JSONResponse({"error": {"message": "too late"}}, status_code=504)
        if reply.kind == "malformed":
            return Response("{not json", media_type="application/json")
        return None

    async def _openai(self, request: Request) -> Response:
        _, body, reply = await self._next(request)
        failure = await self._failure(reply)
        if failure is not None:
            return failure
        model = body.get("model", "fake")
        pieces = tokens_of(reply.text)
        usage = {
            "prompt_tokens": reply.tokens_in,
            "completion_tokens": len(pieces),
            "total_tokens": reply.tokens_in + len(pieces),
        }
        if not body.get("stream"):
            return JSONResponse(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply.text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )

        async def events() -> AsyncIterator[str]:
            base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model}
            for piece in pieces:
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                chunk = {
                    **base,
                    "created": 0,
                    "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                }
                yield f"data: {json.dumps(chunk)}\n\n"
            last = {**base, "created": 0, "choices": [], "usage": usage}
            yield f"data: {json.dumps(last)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def _anthropic(self, request: Request) -> Response:
        _, body, reply = await self._next(request)
        failure = await self._failure(reply)
        if failure is not None:
            return failure
        model = body.get("model", "fake")
        pieces = tokens_of(reply.text)
        if not body.get("stream"):
            return JSONResponse(
                {
                    "id": "msg_fake",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [{"type": "text", "text": reply.text}],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "usage": {"input_tokens": reply.tokens_in, "output_tokens": len(pieces)},
                }
            )

        def event(name: str, data: dict[str, Any]) -> str:
            return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n"

        async def events() -> AsyncIterator[str]:
            message = {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": reply.tokens_in, "output_tokens": 1},
            }
            yield event("message_start", {"message": message})
            block = {"type": "text", "text": ""}
            yield event("content_block_start", {"index": 0, "content_block": block})
            for piece in pieces:
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                delta = {"type": "text_delta", "text": piece}
                yield event("content_block_delta", {"index": 0, "delta": delta})
            yield event("content_block_stop", {"index": 0})
            yield event(
                "message_delta",
                {
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": len(pieces)},
                },
            )
            yield event("message_stop", {})

        return StreamingResponse(events(), media_type="text/event-stream")
