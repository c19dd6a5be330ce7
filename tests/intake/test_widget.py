from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from frontdesk.app import create_app
from tests.conftest import TenantCtx, base_settings

BUNDLE = b"(function(){console.log('widget')})();\n"


@pytest.fixture
async def widget_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "widget.js").write_bytes(BUNDLE)
    app = create_app(base_settings(tmp_path, widget_dir=dist), workers=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c
    await app.state.runtime.db.dispose()


async def test_widget_js_is_served_with_etag_and_cache_headers(widget_client: httpx.AsyncClient):
    r = await widget_client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert r.content == BUNDLE
    assert r.headers["cache-control"].startswith("public, max-age=")
    assert r.headers["x-content-type-options"] == "nosniff"
    etag = r.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')

    again = await widget_client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    weak = await widget_client.get("/widget.js", headers={"If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304
    stale = await widget_client.get("/widget.js", headers={"If-None-Match": '"old"'})
    assert stale.status_code == 200


async def test_widget_js_is_gzipped_when_accepted(widget_client: httpx.AsyncClient):
    r = await widget_client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.content == BUNDLE  # httpx decodes it
    assert int(r.headers["content-length"]) == len(gzip.compress(BUNDLE, 9, mtime=0))


async def test_rebuilt_widget_gets_a_new_etag(widget_client: httpx.AsyncClient, tmp_path: Path):
    first = (await widget_client.get("/widget.js")).headers["etag"]
    (tmp_path / "dist" / "widget.js").write_bytes(BUNDLE + b"// v2, longer\n")
    r = await widget_client.get("/widget.js", headers={"If-None-Match": first})
    assert r.status_code == 200
    assert r.headers["etag"] != first
    assert r.text.endswith("// v2, longer\n")


async def test_head_has_headers_and_no_body(widget_client: httpx.AsyncClient):
    r = await widget_client.head("/widget.js")
    assert r.status_code == 200
    assert r.headers["etag"]
    assert r.content == b""


async def test_unbuilt_widget_is_503_with_a_js_comment(tmp_path: Path):
    app = create_app(base_settings(tmp_path, widget_dir=tmp_path / "missing"), workers=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        r = await c.get("/widget.js")
    await app.state.runtime.db.dispose()
    assert r.status_code == 503
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert r.headers["cache-control"] == "no-store"
    assert r.text.startswith("/*") and r.text.rstrip().endswith("*/")
    assert "make setup" in r.text


async def test_demo_page_embeds_the_widget(widget_client: httpx.AsyncClient):
    r = await widget_client.get("/widget-demo", params={"tenant": "acme", "title": '"><b>x</b>'})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert '<script src="http://test/widget.js" data-tenant="acme"' in r.text
    assert "<b>x</b>" not in r.text
    assert 'data-title="&quot;&gt;&lt;b&gt;x&lt;/b&gt;"' in r.text


@pytest.mark.parametrize("tenant", ['a"><script>', "UPPER", "-x", "a" * 64])
async def test_demo_page_refuses_a_bad_slug(widget_client: httpx.AsyncClient, tenant: str):
    r = await widget_client.get("/widget-demo", params={"tenant": tenant})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


ORIGIN = "https://shop.example"


async def test_webchat_api_allows_cross_origin_calls(client: httpx.AsyncClient, tenant: TenantCtx):
    pre = await client.options(
        f"/api/v1/webchat/{tenant.slug}/sessions",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "authorization" in pre.headers["access-control-allow-headers"].lower()

    r = await client.post(f"/api/v1/webchat/{tenant.slug}/sessions", headers={"Origin": ORIGIN})
    assert r.status_code == 201
    assert r.headers["access-control-allow-origin"] == "*"
    assert "retry-after" in r.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-credentials" not in r.headers

    denied = await client.get(
        f"/api/v1/webchat/sessions/{r.json()['session_id']}/messages",
        headers={"Origin": ORIGIN, "Authorization": "Bearer wrong"},
    )
    assert denied.status_code == 401
    assert denied.headers["access-control-allow-origin"] == "*"


async def test_other_api_routes_stay_same_origin(client: httpx.AsyncClient, tenant: TenantCtx):
    r = await client.get("/api/v1/conversations", headers={**tenant.headers, "Origin": ORIGIN})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    pre = await client.options(
        "/api/v1/conversations",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in pre.headers
