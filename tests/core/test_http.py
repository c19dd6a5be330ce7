"""The SSRF guard: internal addresses are refused, redirects included; allowed hosts pass."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from frontdesk.core.http import UnsafeURL, check_url, is_public, safe_client
from frontdesk.settings import Settings
from tests.conftest import base_settings


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", self.path.split("to=", 1)[1])
            self.end_headers()
            return
        body = f"host={self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def guard(tmp_path: Path, *allowed: str) -> Settings:
    return base_settings(tmp_path, http_allowed_hosts=list(allowed))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "2002:7f00:1::",
    ],
)  # fmt: skip
def test_internal_addresses_are_not_public(address: str):
    assert not is_public(ipaddress.ip_address(address))


def test_public_addresses_are_public():
    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert is_public(ipaddress.ip_address("2606:4700::1111"))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://0177.0.0.1/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "http:///nohost",
        "http://no-such-host.invalid/",
    ],
)
async def test_check_url_refuses_internal_and_odd_urls(tmp_path: Path, url: str):
    with pytest.raises(UnsafeURL) as caught:
        await check_url(guard(tmp_path), url)
    assert caught.value.status == 400


async def test_requests_to_internal_hosts_never_connect(tmp_path: Path, server: str):
    async with safe_client(guard(tmp_path)) as client:
        with pytest.raises(UnsafeURL):
            await client.get(f"http://{server}/ok")


async def test_allowed_host_passes_and_keeps_its_host_header(tmp_path: Path, server: str):
    async with safe_client(guard(tmp_path, server)) as client:
        response = await client.get(f"http://{server}/ok")
    assert response.status_code == 200
    assert response.text == f"host={server}"


async def test_redirect_to_an_internal_address_is_refused(tmp_path: Path, server: str):
    """An allowed host cannot bounce the client to the metadata service or another port."""
    settings = guard(tmp_path, server)
    async with safe_client(settings, follow_redirects=True) as client:
        for target in ("http://169.254.169.254/latest/", "http://127.0.0.1:1/"):
            with pytest.raises(UnsafeURL):
                await client.get(f"http://{server}/redirect?to={target}")
        response = await client.get(f"http://{server}/redirect?to=http://{server}/ok")
    assert response.status_code == 200
