from __future__ import annotations

import httpx

from tests.conftest import TenantCtx
from tests.factories import open_session


async def test_health_and_readiness(client: httpx.AsyncClient):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["components"]["database"]["status"] == "ok"
    assert body["components"]["queue"]["dead"] == 0
    assert body["components"]["queue"]["waiting"] == 0  # keyed jobs behind their key's head


async def test_metrics_expose_requests_and_queue(client: httpx.AsyncClient, tenant: TenantCtx):
    sid, headers = await open_session(client, tenant.slug)
    await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": "hi"}
    )
    text = (await client.get("/metrics")).text
    assert (
        'frontdesk_http_requests_total{method="POST",'
        'route="/api/v1/webchat/sessions/{session_id}/messages",status="202"}' in text
    )
    assert 'frontdesk_queue_depth{status="dead"}' in text
    assert 'frontdesk_queue_depth{status="waiting"}' in text
    assert "frontdesk_http_request_duration_seconds_bucket" in text


async def test_correlation_id_round_trips(client: httpx.AsyncClient):
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/healthz", headers={"X-Request-ID": "bad id\n<script>"})
    assert r.headers["x-request-id"] != "bad id\n<script>"
    r = await client.get("/api/v1/nowhere")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["correlation_id"] == r.headers["x-request-id"]


async def test_docs_and_method_errors(client: httpx.AsyncClient):
    assert (await client.get("/api/docs")).status_code == 200
    schema = (await client.get("/api/openapi.json")).json()
    assert "/api/v1/webchat/{tenant}/sessions" in schema["paths"]
    post = schema["paths"]["/api/v1/webchat/sessions/{session_id}/messages"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["text"]  # read by the route itself, documented all the same
    assert "202" in post["responses"]
    r = await client.delete("/healthz")
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/problem+json"
