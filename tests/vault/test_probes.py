"""Test calls and OAuth2 refresh against a local fake provider, through the SSRF guard."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
import pytest

from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.vault.helpers import API_KEY, CLIENT_SECRET, PASSWORD, create, decrypt, token

FRESH_TOKEN = "at_fresh_0123456789"


class Provider(BaseHTTPRequestHandler):
    def _reply(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        expected = {
            "/probe": f"Bearer {API_KEY}",
            "/basic": httpx.BasicAuth("bob", PASSWORD)._auth_header,
        }.get(self.path)
        ok = self.headers.get("Authorization") == expected
        self._reply(200 if ok else 401, {"ok": ok})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers["Content-Length"])
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if form.get("client_secret") != CLIENT_SECRET:
            self._reply(401, {"error": "invalid_client", "echo": form.get("client_secret")})
            return
        self._reply(
            200,
            {
                "access_token": FRESH_TOKEN,
                "refresh_token": "rt_next",
                "expires_in": 3600,
                "grant": form["grant_type"],
            },
        )

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def allowed(runtime: Runtime, provider: str) -> str:
    runtime.settings.http_allowed_hosts = [provider]
    return f"http://{provider}"


async def _test(client: httpx.AsyncClient, tenant: TenantCtx, cred: dict[str, object]) -> dict:
    r = await client.post(f"/api/v1/vault/credentials/{cred['id']}/test", headers=tenant.headers)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


async def test_api_key_and_basic_auth_probes(
    client: httpx.AsyncClient, tenant: TenantCtx, allowed: str
):
    good = await create(client, tenant, value={"key": API_KEY, "probe_url": f"{allowed}/probe"})
    result = await _test(client, tenant, good)
    assert result["ok"] is True and result["detail"].startswith("HTTP 200")
    bad = await create(
        client,
        tenant,
        suffix=2,
        value={"key": "sk_wrong_key_0000000", "probe_url": f"{allowed}/probe"},
    )
    assert (await _test(client, tenant, bad))["detail"].startswith("HTTP 401")
    basic = await create(
        client,
        tenant,
        "basic_auth",
        value={"username": "bob", "password": PASSWORD, "probe_url": f"{allowed}/basic"},
    )
    assert (await _test(client, tenant, basic))["ok"] is True


async def test_probes_go_through_the_ssrf_guard(client: httpx.AsyncClient, tenant: TenantCtx):
    cred = await create(
        client, tenant, value={"key": API_KEY, "probe_url": "http://169.254.169.254/latest"}
    )
    result = await _test(client, tenant, cred)
    assert result["ok"] is False and "non-public" in result["detail"]


async def test_offline_checks_for_other_types(client: httpx.AsyncClient, tenant: TenantCtx):
    for type_name in ("webhook_secret", "database_url", "tls"):
        cred = await create(client, tenant, type_name)
        result = await _test(client, tenant, cred)
        assert result["ok"] is True, result
    assert "shop on db.example.com" in result["detail"] or "CN=" in result["detail"]


async def test_oauth2_test_and_refresh(client: httpx.AsyncClient, tenant: TenantCtx, allowed: str):
    value = {"client_id": "c1", "client_secret": CLIENT_SECRET, "token_url": f"{allowed}/token"}
    cred = await create(client, tenant, "oauth2", value=value)
    assert (await _test(client, tenant, cred))["ok"] is True
    r = await client.post(f"/api/v1/vault/credentials/{cred['id']}/refresh", headers=tenant.headers)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and FRESH_TOKEN not in r.text
    plain = (await decrypt(client, tenant, await token(client, tenant, cred["id"]))).json()
    assert plain["value"]["access_token"] == FRESH_TOKEN
    assert plain["value"]["refresh_token"] == "rt_next" and plain["value"]["expires_at"]

    wrong = await create(
        client, tenant, "oauth2", suffix=2, value={**value, "client_secret": "not-the-secret-0"}
    )
    result = await _test(client, tenant, wrong)
    assert result["ok"] is False and "HTTP 401" in result["detail"]
    assert "not-the-secret-0" not in json.dumps(result)
    r = await client.post(
        f"/api/v1/vault/credentials/{wrong['id']}/refresh", headers=tenant.headers
    )
    assert r.status_code == 503 and "not-the-secret-0" not in r.text
