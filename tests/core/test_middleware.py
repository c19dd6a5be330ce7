"""The request middleware: writes in flight (what in-process workers give way to), body limits."""

from __future__ import annotations

import re

import httpx
from starlette.types import Receive, Scope, Send

from frontdesk.core.metrics import Metrics
from frontdesk.core.middleware import BodyLimit, InFlight, RequestContext


async def test_writes_in_flight_are_counted_and_reads_are_not():
    in_flight = InFlight(threshold=1)
    seen: dict[str, tuple[int, bool]] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen[scope["method"]] = (in_flight.writes, in_flight.busy())
        if scope["method"] == "DELETE":
            raise RuntimeError("boom")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    wrapped = RequestContext(app, Metrics(), max_body=1024, in_flight=in_flight)
    transport = httpx.ASGITransport(app=wrapped, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        await client.get("/stream")
        await client.post("/messages", json={"text": "hi"})
        await client.delete("/thing")
    assert seen == {"GET": (0, False), "POST": (1, True), "DELETE": (1, True)}
    assert in_flight.writes == 0  # given back, a failing request too


def test_a_zero_threshold_never_asks_workers_to_give_way():
    in_flight = InFlight(threshold=0)
    in_flight.writes = 500
    assert not in_flight.busy()


async def test_a_larger_body_limit_needs_its_path_and_content_type():
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    files = BodyLimit(re.compile(r"^/files$"), 4096, "multipart/form-data")
    wrapped = RequestContext(app, Metrics(), max_body=1024, uploads=[files])
    transport = httpx.ASGITransport(app=wrapped)
    form = "multipart/form-data; boundary=x"
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def status(path: str, size: int, content_type: str) -> int:
            headers = {"Content-Type": content_type}
            return (await client.post(path, content=b"x" * size, headers=headers)).status_code

        assert await status("/files", 3000, form) == 204
        assert await status("/files", 5000, form) == 413
        assert await status("/files", 3000, "application/json") == 413
        assert await status("/other", 3000, form) == 413
        assert await status("/other", 1000, "application/json") == 204
