"""Outbound HTTP that cannot be turned inwards: the SSRF guard.

Every request, redirects included, has its host resolved and every address checked before a
connection is made; the request then goes to the checked address (pinned, so a DNS answer that
changes between the check and the connect cannot slip through) with the original ``Host`` header
and TLS server name. Only public unicast addresses pass, unless the host is listed in
``FRONTDESK_HTTP_ALLOWED_HOSTS`` (a local model server, a test fake).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import httpx

from frontdesk.core.errors import BadRequest
from frontdesk.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeURL(BadRequest):
    """The URL points at a private, loopback, link-local, metadata or otherwise internal address."""

    code, title = "unsafe_url", "URL not allowed"


def is_public(ip: IPAddress) -> bool:
    """True for a globally routable unicast address (embedded IPv4 in IPv6 checked too)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return is_public(embedded)
    return ip.is_global and not ip.is_multicast


def _allowed(settings: Settings, host: str, port: int) -> bool:
    allowed = settings.http_allowed_hosts
    return host in allowed or f"{host}:{port}" in allowed


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeURL(f"cannot resolve {host!r}") from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def _safe_address(settings: Settings, url: httpx.URL) -> IPAddress | None:
    """The address to connect to, ``None`` for an allowed host; raises :class:`UnsafeURL`."""
    if url.scheme not in DEFAULT_PORTS:
        raise UnsafeURL(f"scheme {url.scheme!r} is not allowed")
    host = url.host
    if not host:
        raise UnsafeURL("URL has no host")
    port = url.port or DEFAULT_PORTS[url.scheme]
    if _allowed(settings, host, port):
        return None
    addresses = await _resolve(host, port)
    if not addresses or not all(is_public(ip) for ip in addresses):
        raise UnsafeURL(f"{host!r} resolves to a non-public address")
    return addresses[0]


async def check_url(settings: Settings, url: str) -> None:
    """Raise :class:`UnsafeURL` unless ``url`` may be fetched."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeURL("malformed URL") from exc
    await _safe_address(settings, parsed)


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that checks and pins the address of every request it sends."""

    def __init__(self, settings: Settings, **transport_options: Any) -> None:
        self._settings = settings
        self._inner = httpx.AsyncHTTPTransport(**transport_options)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Check the request's host, then send it to the checked address."""
        ip = await _safe_address(self._settings, request.url)
        if ip is None:
            return await self._inner.handle_async_request(request)
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=str(ip)),
            headers=request.headers,
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": request.url.host},
        )
        return await self._inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._inner.aclose()


def safe_client(settings: Settings, **options: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` behind the SSRF guard; ``options`` go to the client."""
    options.setdefault("timeout", settings.http_timeout_seconds)
    options.setdefault("max_redirects", 5)
    return httpx.AsyncClient(transport=GuardedTransport(settings), **options)
