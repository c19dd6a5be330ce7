"""One pure-ASGI middleware for every request: correlation id, body-size limit, metrics."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import NamedTuple

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.core.errors import PayloadTooLarge, problem
from frontdesk.core.ids import new_id
from frontdesk.core.logging import correlation_id
from frontdesk.core.metrics import Metrics

_VALID_CID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyLimit(NamedTuple):
    """A larger body limit for the paths (and, if given, the content type) that take files."""

    path: re.Pattern[str]
    limit: int
    content_type: str | None = None

    def applies(self, path: str, content_type: bytes) -> bool:
        """Whether a request to ``path`` with ``content_type`` gets this limit."""
        if not self.path.match(path):
            return False
        given = content_type.split(b";")[0].strip().lower().decode("latin-1")
        return self.content_type is None or given == self.content_type


class InFlight:
    """How many API writes (POST, PUT, PATCH, DELETE: messages, webhooks) are being served.

    In-process workers read it to give way to intake: while ``threshold`` or more writes are
    in flight, they run one job at a time, so a burst is acknowledged first and processed
    from the durable queue right after. Reads (SSE streams among them) are not counted.
    """

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.writes = 0

    def busy(self) -> bool:
        """True while intake is busy enough that background work should give way."""
        return 0 < self.threshold <= self.writes


class RequestContext:
    """Tags each request with a correlation id, enforces the body limit, records metrics."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        max_body: int,
        uploads: Sequence[BodyLimit] = (),
        in_flight: InFlight | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.in_flight = in_flight or InFlight(0)
        self.max_body = max_body
        self.uploads = uploads

    def _limit(self, path: str, content_type: bytes) -> int:
        for rule in self.uploads:
            if rule.applies(path, content_type):
                return rule.limit
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        cid = given if _VALID_CID.match(given) else new_id()
        token = correlation_id.set(cid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", cid.encode())]
            await send(message)

        limit = self._limit(scope["path"], headers.get(b"content-type", b""))
        write = scope["method"] not in _READS
        self.in_flight.writes += write
        try:
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                response = problem(
                    413,
                    "payload_too_large",
                    "Payload too large",
                    f"The body is over the limit of {limit} bytes",
                    scope["path"],
                )
                await response(scope, receive, send_with_id)
                return
            await self.app(scope, self._limited(receive, limit), send_with_id)
        finally:
            self.in_flight.writes -= write
            route = _route_of(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
            correlation_id.reset(token)

    def _limited(self, receive: Receive, limit: int) -> Receive:
        seen = 0

        async def receive_limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise PayloadTooLarge(f"The body is over the limit of {limit} bytes")
            return message

        return receive_limited


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"
