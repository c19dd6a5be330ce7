"""LLM routes: settings with encrypted keys, providers, usage, complete and stream."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from sqlalchemy import select

from frontdesk.core.auth import Role
from frontdesk.llm import fallback
from frontdesk.llm.models import LLMSettings
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import api_key
from tests.llm.conftest import anthropic_entry, openai_entry
from tests.llm.fake_provider import FakeProvider, Reply
from tests.logs import capture_log

SECRET = "sk-proj-TOPSECRET-abcdef0123456789"
QUESTION = {"messages": [{"role": "user", "content": "When will my order arrive?"}]}


async def configure_api(client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider) -> None:
    r = await client.patch(
        "/api/v1/llm/settings",
        headers=tenant.headers,
        json={
            "providers": [
                openai_entry(fake, "primary", key=SECRET),
                anthropic_entry(fake, "secondary"),
            ],
            "monthly_budget_usd": 25,
            "tone": "Friendly.",
        },
    )
    assert r.status_code == 200, r.text


async def test_settings_store_keys_encrypted_and_never_show_them(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure_api(client, tenant, fake)
    r = await client.get("/api/v1/llm/settings", headers=tenant.headers)
    assert r.status_code == 200 and SECRET not in r.text
    body = r.json()
    assert [p["has_key"] for p in body["providers"]] == [True, True]
    assert body["monthly_budget_usd"] == 25 and body["max_tokens_cap"] == 500
    async with runtime.db.tenant_session(tenant.id) as session:
        row = await session.scalar(select(LLMSettings))
    assert row is not None and row.keys_encrypted and SECRET.encode() not in row.keys_encrypted
    assert SECRET not in json.dumps(row.providers)

    # Re-sending the providers without keys keeps the stored keys.
    providers = [
        {k: v for k, v in p.items() if k != "api_key"}
        for p in [openai_entry(fake, "primary"), anthropic_entry(fake, "secondary")]
    ]
    r = await client.patch(
        "/api/v1/llm/settings", headers=tenant.headers, json={"providers": providers}
    )
    assert [p["has_key"] for p in r.json()["providers"]] == [True, True]
    r = await client.post("/api/v1/llm/complete", headers=tenant.headers, json=QUESTION)
    assert r.json()["provider"] == "primary"
    assert fake.received("primary")[0].headers["authorization"] == f"Bearer {SECRET}"


async def test_complete_usage_and_providers(
    client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    await configure_api(client, tenant, fake)
    fake.script("primary", Reply.error(500), Reply.error(500), Reply.error(500))
    r = await client.post(
        "/api/v1/llm/complete", headers=tenant.headers, json={**QUESTION, "service": "tools"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ok" and r.json()["provider"] == "secondary"

    r = await client.get("/api/v1/llm/providers", headers=tenant.headers)
    assert r.status_code == 200
    states = {p["name"]: p for p in r.json()}
    assert states["primary"]["failures"] == 1 and states["primary"]["breaker"] == "closed"
    assert states["primary"]["last_error"] == "primary: HTTP 500"
    assert states["secondary"]["ready"] is True

    r = await client.get("/api/v1/llm/usage?service=tools", headers=tenant.headers)
    report = r.json()
    assert report["calls"] == 1 and report["rows"][0]["model"] == "claude-haiku-4-5"
    assert report["budget_usd"] == 25
    assert [g["key"] for g in report["by_service"]] == ["tools"]
    assert report["by_model"][0]["key"] == "claude-haiku-4-5"
    assert report["by_model"][0]["cost_usd"] == report["cost_usd"]
    assert (await client.get("/api/v1/llm/usage?model=nope", headers=tenant.headers)).json()[
        "calls"
    ] == 0
    r = await client.get("/api/v1/llm/usage?period=2020-01", headers=tenant.headers)
    assert r.json()["calls"] == 0
    r = await client.get("/api/v1/llm/usage?period=7d", headers=tenant.headers)
    assert r.json()["calls"] == 1


async def test_not_configured_is_a_200_result(client: httpx.AsyncClient, tenant: TenantCtx):
    r = await client.post("/api/v1/llm/complete", headers=tenant.headers, json=QUESTION)
    assert r.status_code == 200 and r.json()["status"] == "not_configured"
    r = await client.post("/api/v1/llm/stream", headers=tenant.headers, json=QUESTION)
    assert r.status_code == 200 and "event: not_configured" in r.text


async def test_stream_sse(client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider):
    await configure_api(client, tenant, fake)
    fake.script("primary", Reply.slow("a b c", 0.01))
    async with client.stream(
        "POST", "/api/v1/llm/stream", headers=tenant.headers, json=QUESTION
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        body = "".join([chunk async for chunk in r.aiter_text()])
    tokens = [
        json.loads(line[6:])["text"]
        for line in body.splitlines()
        if line.startswith("data: ") and '"text"' in line
    ]
    assert tokens == ["a ", "b ", "c"] and body.rstrip().endswith("data: {}")


async def test_errors_are_problem_json(
    client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    await configure_api(client, tenant, fake)
    cases = [
        ({**QUESTION, "model": "gpt-99"}, 422, "llm_unknown_model"),
        ({**QUESTION, "json_schema": {"type": "nope"}}, 422, "validation_error"),
        ({"messages": []}, 422, "validation_error"),
        (
            {**QUESTION, "messages": [{"role": "assistant", "content": "x"}]},
            422,
            "validation_error",
        ),
        ({**QUESTION, "tenant_id": "x"}, 422, "validation_error"),
        ({**QUESTION, "temperature": 9}, 422, "validation_error"),
    ]
    for body, status, code in cases:
        r = await client.post("/api/v1/llm/complete", headers=tenant.headers, json=body)
        assert (r.status_code, r.json()["code"]) == (status, code), body
        assert r.headers["content-type"] == "application/problem+json"
    r = await client.get("/api/v1/llm/usage?period=yesterday", headers=tenant.headers)
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")
    r = await client.patch(
        "/api/v1/llm/settings",
        headers=tenant.headers,
        json={"providers": [{"name": "a", "kind": "azure"}]},
    )
    assert r.status_code == 422
    r = await client.patch(
        "/api/v1/llm/settings",
        headers=tenant.headers,
        json={"providers": [{"name": "a", "kind": "litellm"}]},
    )
    assert r.status_code == 422
    for url in ("http://169.254.169.254/v1", "http://10.0.0.7/v1", "file:///etc/passwd"):
        r = await client.patch(
            "/api/v1/llm/settings",
            headers=tenant.headers,
            json={"providers": [{"name": "a", "kind": "local", "base_url": url}]},
        )
        assert (r.status_code, r.json()["code"]) == (400, "unsafe_url"), url


async def test_budget_block_is_402(
    client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    r = await client.patch(
        "/api/v1/llm/settings",
        headers=tenant.headers,
        json={"providers": [openai_entry(fake, "primary")], "monthly_budget_usd": 0},
    )
    assert r.status_code == 200
    r = await client.post("/api/v1/llm/complete", headers=tenant.headers, json=QUESTION)
    assert (r.status_code, r.json()["code"]) == (402, "llm_budget_exceeded")
    assert fake.received("primary") == []


async def test_permissions(client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx):
    viewer = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.VIEWER)}"}
    assert (await client.get("/api/v1/llm/usage", headers=viewer)).status_code == 200
    assert (await client.get("/api/v1/llm/providers", headers=viewer)).status_code == 200
    r = await client.post("/api/v1/llm/complete", headers=viewer, json=QUESTION)
    assert r.status_code == 403
    r = await client.patch("/api/v1/llm/settings", headers=viewer, json={"tone": "x"})
    assert r.status_code == 403
    developer = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.DEVELOPER)}"}
    r = await client.post("/api/v1/llm/complete", headers=developer, json=QUESTION)
    assert r.status_code == 200


async def test_no_key_in_logs_or_errors_under_failures(
    client: httpx.AsyncClient,
    tenant: TenantCtx,
    fake: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    """Rendered gateway logs (the configured processors) and the SDKs' debug logs."""
    rendered = capture_log(monkeypatch, fallback)
    caplog.set_level(logging.DEBUG)
    await configure_api(client, tenant, fake)
    fake.script("primary", Reply.error(401), Reply.malformed())
    fake.script("secondary", Reply.malformed(), Reply.error(429, retry_after=0), Reply.hang(0.1))
    bodies = []
    for _ in range(2):
        r = await client.post("/api/v1/llm/complete", headers=tenant.headers, json=QUESTION)
        bodies.append(r.text)
    bodies.append((await client.get("/api/v1/llm/providers", headers=tenant.headers)).text)
    logs = rendered.getvalue()
    assert "llm_provider_failed" in logs and "HTTP 401" in logs  # the failures were logged…
    assert caplog.text  # the SDKs' debug logging was on
    for text in (*bodies, logs, caplog.text):
        assert SECRET not in text and "sk-ant-test-0002" not in text  # …without a key


async def test_stream_reports_failure_as_an_event(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    runtime.settings.llm_max_attempts = 1
    runtime.llm.chain.policy = type(runtime.llm.chain.policy).from_settings(runtime.settings)
    await configure_api(client, tenant, fake)
    fake.script("primary", Reply.error(500))
    fake.script("secondary", Reply.malformed())
    r = await client.post("/api/v1/llm/stream", headers=tenant.headers, json=QUESTION)
    assert r.status_code == 200
    assert "event: error" in r.text and '"code": "llm_unavailable"' in r.text
    assert SECRET not in r.text
