"""The SSRF guard for SDKs built on ``httpx2`` (the Anthropic SDK refuses ``httpx`` clients).

An ``httpx2`` transport that hands each request to :class:`frontdesk.core.http.GuardedTransport`
and converts the response and the network errors back, so the SDK sees its own types.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import httpx2

from frontdesk.core.http import GuardedTransport
from frontdesk.settings import Settings


def _translate(exc: httpx.TransportError) -> httpx2.TransportError:
    if isinstance(exc, httpx.TimeoutException):
        return httpx2.ReadTimeout(str(exc))
    return httpx2.ConnectError(str(exc))


class _Body(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx.Response) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner.aiter_raw():
                yield chunk
        except httpx.TransportError as exc:
            raise _translate(exc) from None

    async def aclose(self) -> None:
        await self._inner.aclose()


class GuardedHttpx2Transport(httpx2.AsyncBaseTransport):
    """Sends ``httpx2`` requests through the guarded ``httpx`` transport."""

    def __init__(self, settings: Settings) -> None:
        self._inner = GuardedTransport(settings)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Check, send, and convert one request."""
        outbound = httpx.Request(
            request.method,
            str(request.url),
            headers=list(request.headers.multi_items()),
            content=await request.aread(),
            extensions=dict(request.extensions),
        )
        try:
            response = await self._inner.handle_async_request(outbound)
        except httpx.TransportError as exc:
            raise _translate(exc) from None
        return httpx2.Response(
            response.status_code,
            headers=list(response.headers.multi_items()),
            stream=_Body(response),
            request=request,
        )

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._inner.aclose()


def safe_httpx2_client(settings: Settings, **options: Any) -> httpx2.AsyncClient:
    """An ``httpx2.AsyncClient`` behind the SSRF guard."""
    options.setdefault("timeout", settings.http_timeout_seconds)
    return httpx2.AsyncClient(transport=GuardedHttpx2Transport(settings), **options)
