"""Vault API: create, list, get (masked), update, rotate, history, delete, roles, bad input."""

from __future__ import annotations

import httpx

from frontdesk.core.auth import Role
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import api_key
from tests.vault.helpers import API_KEY, SECRETS, create, decrypt, token, values


async def test_create_list_get_show_masked_values_only(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    created = {t: await create(client, tenant, t) for t in values()}
    for body in created.values():
        assert body["version"] == 1 and body["status"] == "active"
    assert created["api_key"]["masked"]["key"] == "sk_l*****"
    assert created["tls"]["expires_at"] is not None  # from the certificate

    r = await client.get("/api/v1/vault/credentials", headers=tenant.headers)
    assert r.status_code == 200
    assert sorted(c["type"] for c in r.json()) == sorted(values())
    one = await client.get(
        f"/api/v1/vault/credentials/{created['oauth2']['id']}", headers=tenant.headers
    )
    assert one.json()["masked"]["client_id"] == "client-1"
    assert one.json()["masked"]["client_secret"] == "*****"
    for text in (r.text, one.text):
        assert not [s for s in SECRETS if s in text]
        assert "PRIVATE KEY" not in text

    types = await client.get("/api/v1/vault/types", headers=tenant.headers)
    assert "custom" in types.json()["types"]


async def test_update_rotate_and_history(client: httpx.AsyncClient, tenant: TenantCtx):
    cred = await create(client, tenant, metadata={"team": "sales"}, rotation_days=30)
    url = f"/api/v1/vault/credentials/{cred['id']}"
    r = await client.patch(
        url, headers=tenant.headers, json={"description": "CRM key", "metadata": {"team": "ops"}}
    )
    assert r.status_code == 200 and r.json()["metadata"] == {"team": "ops"}

    new_key = "sk_live_rotated_0000000000000000"
    r = await client.post(
        f"{url}/rotate",
        headers=tenant.headers,
        json={"value": {"key": new_key}, "reason": "quarterly rotation"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and new_key not in r.text
    history = (await client.get(f"{url}/versions", headers=tenant.headers)).json()
    assert [(v["version"], v["reason"]) for v in history] == [
        (2, "quarterly rotation"),
        (1, "created"),
    ]
    assert all(v["created_by"].startswith("apikey:") for v in history)

    r = await decrypt(client, tenant, await token(client, tenant, cred["id"]))
    assert r.json()["value"]["key"] == new_key and r.json()["version"] == 2

    r = await client.post(
        f"{url}/rotate", headers=tenant.headers, json={"value": {"nope": 1}, "reason": "oops"}
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_credential_value"


async def test_delete_is_soft_and_archived_credentials_cannot_be_used(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    cred = await create(client, tenant)
    url = f"/api/v1/vault/credentials/{cred['id']}"
    assert (await client.delete(url, headers=tenant.headers)).status_code == 204
    listed = (await client.get("/api/v1/vault/credentials", headers=tenant.headers)).json()
    assert listed == []
    archived = await client.get(
        "/api/v1/vault/credentials", params={"status": "archived"}, headers=tenant.headers
    )
    assert [c["id"] for c in archived.json()] == [cred["id"]]
    assert archived.json()[0]["archived_at"] is not None
    r = await client.post(
        f"{url}/tokens", headers=tenant.headers, json={"service": "crm", "reason": "sync run"}
    )
    assert r.status_code == 409 and r.json()["code"] == "credential_unavailable"
    assert (await client.delete(url, headers=tenant.headers)).status_code == 409


async def test_bad_input_gets_clear_errors(client: httpx.AsyncClient, tenant: TenantCtx):
    url = "/api/v1/vault/credentials"
    cases = [
        ({"name": "x", "type": "ftp", "value": {}}, "unknown_credential_type"),
        ({"name": "x", "type": "api_key", "value": {"key": ""}}, "invalid_credential_value"),
        (
            {"name": "x", "type": "api_key", "value": {"key": API_KEY}, "custom_schema": {}},
            "invalid_credential_value",
        ),
        (
            {"name": "x", "type": "custom", "value": {"pin": "1"}, "custom_schema": {"type": 3}},
            "invalid_credential_value",
        ),
        (
            {
                "name": "x",
                "type": "custom",
                "value": {"pin": "1"},
                "custom_schema": {"type": "object", "properties": {"pin": {"minLength": 4}}},
            },
            "invalid_credential_value",
        ),
        (
            {
                "name": "x",
                "type": "custom",
                "value": {"blob": "a" * 70_000},
                "custom_schema": {"type": "object"},
            },
            "credential_too_large",
        ),
        (
            {"name": "x", "type": "api_key", "value": {"key": API_KEY}, "bogus": 1},
            "validation_error",
        ),
        ({"name": "", "type": "api_key", "value": {"key": API_KEY}}, "validation_error"),
    ]
    for body, code in cases:
        r = await client.post(url, headers=tenant.headers, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == code, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert API_KEY not in r.text
    await create(client, tenant)
    dup = await client.post(
        url,
        headers=tenant.headers,
        json={"name": "api_key-1", "type": "api_key", "value": {"key": API_KEY}},
    )
    assert dup.status_code == 409
    assert (await client.get(f"{url}/nope", headers=tenant.headers)).status_code == 404


async def test_roles(client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx):
    cred = await create(client, tenant)
    url = f"/api/v1/vault/credentials/{cred['id']}"
    viewer = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.VIEWER)}"}
    agent = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.AGENT)}"}
    manager = {
        "Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.CONFIG_MANAGER)}"
    }
    assert (await client.get(url, headers=viewer)).status_code == 200
    assert (await client.get(url, headers=agent)).status_code == 403
    assert (await client.patch(url, headers=viewer, json={"description": "x"})).status_code == 403
    assert (await client.patch(url, headers=manager, json={"description": "x"})).status_code == 200
    for headers in (viewer, manager):
        r = await client.post(
            f"{url}/tokens", headers=headers, json={"service": "crm", "reason": "sync run"}
        )
        assert r.status_code == 403
        assert (await client.get("/api/v1/vault/audit", headers=headers)).status_code == 403


async def test_vault_endpoints_are_rate_limited(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    runtime.settings.vault_burst_per_tenant = 3
    runtime.settings.vault_rate_per_tenant = 0.01
    codes = [
        (await client.get("/api/v1/vault/credentials", headers=tenant.headers)).status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    r = await client.get("/api/v1/vault/credentials", headers=tenant.headers)
    assert r.headers["Retry-After"] and r.json()["code"] == "rate_limited"


async def test_times_must_carry_a_timezone_and_required_fields_stay_set(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    body = {"name": "k", "type": "api_key", "value": {"key": API_KEY}}
    r = await client.post(
        "/api/v1/vault/credentials",
        headers=tenant.headers,
        json={**body, "expires_at": "2030-01-01T00:00:00"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == "expires_at"
    cred = await create(client, tenant, expires_at="2030-01-01T00:00:00+02:00")
    assert cred["expires_at"].startswith("2029-12-31T22:00:00")
    url = f"/api/v1/vault/credentials/{cred['id']}"
    for field in ("name", "description", "metadata"):
        r = await client.patch(url, headers=tenant.headers, json={field: None})
        assert r.status_code == 422, (field, r.text)
    r = await client.patch(url, headers=tenant.headers, json={"expires_at": None})
    assert r.status_code == 200 and r.json()["expires_at"] is None
    r = await client.get(
        "/api/v1/vault/audit", params={"since": "2030-01-01T00:00:00"}, headers=tenant.headers
    )
    assert r.status_code == 422
    r = await client.get(
        "/api/v1/vault/audit", params={"since": "2020-01-01T00:00:00Z"}, headers=tenant.headers
    )
    assert r.status_code == 200 and r.json()
