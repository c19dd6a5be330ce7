"""The console is served at / with an SPA fallback, never shadowing API or ops routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from frontdesk.app import create_app
from frontdesk.settings import Settings


@pytest.fixture
async def built(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")
    (dist / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("nope")
    app = create_app(settings.model_copy(update={"console_dir": dist}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def test_index_fallback_and_cached_assets(built: httpx.AsyncClient):
    for path in ("/", "/inbox", "/inbox/01234", "/settings"):
        r = await built.get(path)
        assert r.status_code == 200 and "id=root" in r.text, path
        assert r.headers["cache-control"] == "no-cache"
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
    r = await built.get("/assets/index-abc123.js")
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
    assert (await built.get("/favicon.svg")).text == "<svg/>"
    r = await built.get("/assets/missing.js")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert (await built.get("/assets/..%2F..%2Fsecret.txt")).status_code == 404
    assert "nope" not in (await built.get("/..%2Fsecret.txt")).text


async def test_console_never_shadows_backend_routes(built: httpx.AsyncClient):
    assert (await built.get("/healthz")).json() == {"status": "ok"}
    assert (await built.get("/metrics")).status_code == 200
    for path in ("/api/v1/nope", "/api", "/webhooks/acme/x"):
        r = await built.get(path)
        assert r.status_code in (401, 404), path
        assert r.headers["content-type"] == "application/problem+json", path
    widget = await built.get("/widget.js")  # the widget's own route (503 when not built)
    assert widget.headers["content-type"].startswith("text/javascript")
    assert (await built.get("/api/v1/conversations")).status_code == 401


async def test_unbuilt_console_explains_itself(settings: Settings, tmp_path: Path):
    app = create_app(settings.model_copy(update={"console_dir": tmp_path / "not-built"}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            r = await client.get("/inbox")
            assert r.status_code == 503 and "make setup" in r.text
            assert (await client.get("/healthz")).status_code == 200
