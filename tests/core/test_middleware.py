"""The request middleware's count of API writes in flight (what in-process workers give way to)."""

from __future__ import annotations

import httpx
from starlette.types import Receive, Scope, Send

from frontdesk.core.metrics import Metrics
from frontdesk.core.middleware import InFlight, RequestContext


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
