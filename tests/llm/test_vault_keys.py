"""Provider keys from the credential vault: validated, referenced, revealed (audited), cached."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from frontdesk.llm import service
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.llm.conftest import openai_entry
from tests.llm.fake_provider import FakeProvider
from tests.logs import capture_log
from tests.vault.helpers import API_KEY, audit_rows, create, revoke, rotate, usage

QUESTION = {"messages": [{"role": "user", "content": "When will my order arrive?"}]}
INLINE = "sk-inline-fallback-000111"


def vaulted(fake: FakeProvider, credential_id: str, name: str = "vaulted") -> dict[str, Any]:
    return {
        "name": name,
        "kind": "openai",
        "credential_id": credential_id,
        "base_url": fake.openai_url(name),
    }


async def set_providers(
    client: httpx.AsyncClient, tenant: TenantCtx, *providers: dict[str, Any]
) -> httpx.Response:
    r = await client.patch(
        "/api/v1/llm/settings", headers=tenant.headers, json={"providers": list(providers)}
    )
    assert API_KEY not in r.text
    return r


async def references(client: httpx.AsyncClient, tenant: TenantCtx, credential_id: str) -> Any:
    body = await usage(client, tenant, credential_id)
    return [(r["kind"], r["ref_id"], r["use_count"]) for r in body["references"]]


async def decrypts(client: httpx.AsyncClient, tenant: TenantCtx, credential_id: str) -> list[Any]:
    return await audit_rows(client, tenant, credential_id, "decrypt")


async def dependents(client: httpx.AsyncClient, tenant: TenantCtx, credential_id: str) -> Any:
    r = await revoke(client, tenant, credential_id)
    assert r.status_code == 200, r.text
    return [(d["kind"], d["ref_id"]) for d in r.json()["dependents"]]


async def test_a_completion_uses_the_vault_key_audited_counted_and_cached(
    client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    cred = await create(client, tenant)
    r = await set_providers(client, tenant, vaulted(fake, cred["id"]))
    assert r.status_code == 200, r.text
    [shown] = r.json()["providers"]
    assert shown["credential_id"] == cred["id"] and shown["has_key"] is True
    assert await references(client, tenant, cred["id"]) == [("llm", "vaulted", 0)]
    r = await client.get("/api/v1/llm/settings", headers=tenant.headers)
    assert r.json()["providers"][0]["credential_id"] == cred["id"] and API_KEY not in r.text

    for _ in range(3):
        r = await client.post("/api/v1/llm/complete", headers=tenant.headers, json=QUESTION)
        assert r.status_code == 200 and r.json()["provider"] == "vaulted"
        assert API_KEY not in r.text
    assert [q.headers["authorization"] for q in fake.received("vaulted")] == [
        f"Bearer {API_KEY}"
    ] * 3

    # One decrypt for three completions: the configuration is cached.
    [decrypt] = await decrypts(client, tenant, cred["id"])
    assert (decrypt["service"], decrypt["reason"], decrypt["outcome"]) == (
        "llm.gateway",
        "provider vaulted",
        "ok",
    )
    assert await references(client, tenant, cred["id"]) == [("llm", "vaulted", 1)]
    r = await client.get("/api/v1/llm/providers", headers=tenant.headers)
    assert r.json()[0]["ready"] is True and API_KEY not in r.text


async def test_concurrent_first_calls_reveal_once(
    runtime: Runtime, client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    cred = await create(client, tenant)
    assert (await set_providers(client, tenant, vaulted(fake, cred["id"]))).status_code == 200
    configs = await asyncio.gather(*(runtime.llm.tenant_config(tenant.id) for _ in range(8)))
    assert all(c is configs[0] for c in configs)
    assert configs[0].providers[0].api_key == API_KEY
    assert len(await decrypts(client, tenant, cred["id"])) == 1


async def test_unusable_credentials_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx, fake: FakeProvider
):
    assert (await set_providers(client, tenant, openai_entry(fake, "kept"))).status_code == 200
    before = (await client.get("/api/v1/llm/settings", headers=tenant.headers)).json()
    theirs = await create(client, other_tenant)
    revoked = await create(client, tenant, suffix="revoked")
    await dependents(client, tenant, revoked["id"])
    archived = await create(client, tenant, suffix="archived")
    r = await client.delete(f"/api/v1/vault/credentials/{archived['id']}", headers=tenant.headers)
    assert r.status_code in (200, 204), r.text
    password = await create(client, tenant, "basic_auth")

    cases = [
        ("no-such-credential", 409, "credential_unavailable", "does not exist"),
        (theirs["id"], 409, "credential_unavailable", "does not exist"),
        (revoked["id"], 409, "credential_unavailable", "revoked"),
        (archived["id"], 409, "credential_unavailable", "archived"),
        (password["id"], 422, "validation_error", "basic_auth"),
    ]
    for credential_id, status, code, why in cases:
        r = await set_providers(client, tenant, vaulted(fake, credential_id))
        assert r.status_code == status, r.text
        assert r.json()["code"] == code
        assert credential_id in r.json()["detail"] and why in r.json()["detail"]
    after = (await client.get("/api/v1/llm/settings", headers=tenant.headers)).json()
    assert after == before
    for cred in (revoked, archived, password):
        assert await references(client, tenant, cred["id"]) == []
    assert await references(client, other_tenant, theirs["id"]) == []

    both = {**vaulted(fake, password["id"]), "api_key": INLINE}
    r = await set_providers(client, tenant, both)
    assert r.status_code == 422 and INLINE not in r.text


async def test_revocation_lists_the_provider_which_then_has_no_key(
    runtime: Runtime, client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    cred = await create(client, tenant)
    providers = [vaulted(fake, cred["id"]), openai_entry(fake, "backup", key=INLINE)]
    assert (await set_providers(client, tenant, *providers)).status_code == 200
    r = await client.post("/api/v1/llm/complete", headers=tenant.headers, json=QUESTION)
    assert r.json()["provider"] == "vaulted"

    assert await dependents(client, tenant, cred["id"]) == [("llm", "vaulted")]
    await runtime.llm.forget(tenant.id)
    config = await runtime.llm.tenant_config(tenant.id)
    assert config.missing_keys == ["vaulted"]
    assert [p.name for p in config.providers] == ["backup"]
    r = await client.post("/api/v1/llm/complete", headers=tenant.headers, json=QUESTION)
    assert r.status_code == 200 and r.json()["provider"] == "backup"
    assert fake.received("backup")[0].headers["authorization"] == f"Bearer {INLINE}"
    r = await client.get("/api/v1/llm/providers", headers=tenant.headers)
    assert [(p["name"], p["ready"]) for p in r.json()] == [("vaulted", False), ("backup", True)]


async def test_a_revoked_sole_provider_is_not_configured_and_nothing_leaks(
    runtime: Runtime,
    client: httpx.AsyncClient,
    tenant: TenantCtx,
    fake: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
):
    rendered = capture_log(monkeypatch, service)
    cred = await create(client, tenant)
    assert (await set_providers(client, tenant, vaulted(fake, cred["id"]))).status_code == 200
    assert (await runtime.llm.tenant_config(tenant.id)).providers
    await dependents(client, tenant, cred["id"])
    await runtime.llm.forget(tenant.id)
    r = await client.post("/api/v1/llm/complete", headers=tenant.headers, json=QUESTION)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "not_configured", "detail": "No API key for: vaulted"}
    r = await client.post("/api/v1/llm/stream", headers=tenant.headers, json=QUESTION)
    assert "event: not_configured" in r.text
    await runtime.llm.forget(tenant.id)  # reloads log it once, not at every reload
    assert not (await runtime.llm.tenant_config(tenant.id)).providers
    logs = rendered.getvalue()
    assert logs.count("llm_credential_unavailable") == 1 and cred["id"] in logs
    assert API_KEY not in logs


async def test_switching_away_drops_the_reference_and_resending_keeps_the_credential(
    client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    cred = await create(client, tenant)
    assert (await set_providers(client, tenant, vaulted(fake, cred["id"]))).status_code == 200

    # Sent again with neither api_key nor credential_id: keeps the credential.
    resent = {k: v for k, v in vaulted(fake, cred["id"]).items() if k != "credential_id"}
    r = await set_providers(client, tenant, resent)
    assert r.json()["providers"][0]["credential_id"] == cred["id"]
    assert await references(client, tenant, cred["id"]) == [("llm", "vaulted", 0)]

    # An inline key replaces it: the vault no longer lists the provider as a dependent.
    r = await set_providers(client, tenant, {**resent, "api_key": INLINE})
    [shown] = r.json()["providers"]
    assert shown["credential_id"] is None and shown["has_key"] is True
    assert await references(client, tenant, cred["id"]) == []
    r = await client.post("/api/v1/llm/complete", headers=tenant.headers, json=QUESTION)
    assert fake.received("vaulted")[0].headers["authorization"] == f"Bearer {INLINE}"
    assert await decrypts(client, tenant, cred["id"]) == []


async def test_reloading_the_configuration_decrypts_again_only_after_a_rotation(
    runtime: Runtime, client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    cred = await create(client, tenant)
    assert (await set_providers(client, tenant, vaulted(fake, cred["id"]))).status_code == 200
    for _ in range(3):  # as each expiry of the cached configuration does
        await runtime.llm.forget(tenant.id)
        assert (await runtime.llm.tenant_config(tenant.id)).providers[0].api_key == API_KEY
    assert len(await decrypts(client, tenant, cred["id"])) == 1
    r = await rotate(client, tenant, cred["id"], {"key": "sk_live_rotated_1111222233334444"})
    assert r.status_code == 200, r.text
    await runtime.llm.forget(tenant.id)
    config = await runtime.llm.tenant_config(tenant.id)
    assert config.providers[0].api_key == "sk_live_rotated_1111222233334444"
    assert len(await decrypts(client, tenant, cred["id"])) == 2


async def test_a_rotated_key_is_used_once_the_cached_config_is_dropped(
    runtime: Runtime, client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    cred = await create(client, tenant)
    assert (await set_providers(client, tenant, vaulted(fake, cred["id"]))).status_code == 200
    await client.post("/api/v1/llm/complete", headers=tenant.headers, json=QUESTION)
    rotated = "sk_live_rotated_9999888877776666"
    r = await rotate(client, tenant, cred["id"], {"key": rotated})
    assert r.status_code == 200, r.text
    await client.post("/api/v1/llm/complete", headers=tenant.headers, json=QUESTION)
    await runtime.llm.forget(tenant.id)
    await client.post("/api/v1/llm/complete", headers=tenant.headers, json=QUESTION)
    assert [q.headers["authorization"] for q in fake.received("vaulted")] == [
        f"Bearer {API_KEY}",
        f"Bearer {API_KEY}",  # still cached
        f"Bearer {rotated}",
    ]
    assert len(await decrypts(client, tenant, cred["id"])) == 2
