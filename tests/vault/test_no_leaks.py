"""No API response (but a redeemed token's), log line or error message ever holds a secret."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from frontdesk.core.logging import configure_logging, get_logger
from frontdesk.runtime import Runtime
from frontdesk.vault import tokens
from frontdesk.vault.service import Vault, record_reference
from tests.conftest import TenantCtx
from tests.vault.helpers import API_KEY, PASSWORD, SECRETS, create, decrypt, token, values


async def test_secrets_never_appear_in_responses_or_logs(
    app: FastAPI,
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: TenantCtx,
    other_tenant: TenantCtx,
    capfd: pytest.CaptureFixture[str],
):
    configure_logging("DEBUG", json=True)
    runtime.settings.vault_anomaly_per_minute = 1
    seen: list[str] = []

    async def call(
        method: str, url: str, headers: dict[str, str] | None = None, **kwargs: object
    ) -> httpx.Response:
        r = await client.request(method, url, headers=headers or tenant.headers, **kwargs)
        seen.append(r.text)
        return r

    all_values = values()
    pems = [all_values["tls"]["private_key"].splitlines()[1]]
    created = {t: await create(client, tenant, t) for t in all_values}
    for cred in created.values():
        url = f"/api/v1/vault/credentials/{cred['id']}"
        await call("GET", url)
        await call("PATCH", url, json={"description": "changed"})
        await call("POST", f"{url}/test")
        await call("GET", f"{url}/versions")
        await call("GET", f"{url}/usage")
    await call("GET", "/api/v1/vault/credentials")
    api = created["api_key"]["id"]
    await call(
        "POST",
        f"/api/v1/vault/credentials/{api}/rotate",
        json={"value": {"key": API_KEY + "-v2"}, "reason": "rotation"},
    )
    # Bad input carrying secrets: the errors must not echo them.
    await call(
        "POST",
        "/api/v1/vault/credentials",
        json={"name": "x", "type": "basic_auth", "value": {"password": PASSWORD}},
    )
    await call(
        "POST",
        "/api/v1/vault/credentials",
        json={"name": "x", "type": "api_key", "value": {"key": API_KEY, "x": PASSWORD}},
    )
    await call(
        "POST",
        "/api/v1/vault/credentials",
        json={
            "name": "x",
            "type": "webhook_secret",
            "value": {"secret": PASSWORD, "algorithm": PASSWORD},
        },
    )
    await call(
        "POST",
        "/api/v1/vault/credentials",
        json={
            "name": "x",
            "type": "custom",
            "value": {"pin": PASSWORD},
            "custom_schema": {"type": "object", "properties": {"pin": {"maxLength": 3}}},
        },
    )
    await call(
        "POST",
        f"/api/v1/vault/credentials/{api}/rotate",
        json={"value": {"key": 5, "header": PASSWORD * 10}, "reason": "bad"},
    )
    # Tokens: redeemed (the one response allowed to hold the value), replayed, misused.
    t = await token(client, tenant, api)
    assert (await decrypt(client, tenant, t)).status_code == 200
    seen.append((await decrypt(client, tenant, t)).text)
    seen.append((await decrypt(client, other_tenant, t)).text)
    t2 = await token(client, tenant, api)
    seen.append((await decrypt(client, tenant, t2, service="other")).text)
    # Internal use, logged carelessly by a caller: the value still does not show.
    vault: Vault = app.state.vault
    async with runtime.db.tenant_tx(tenant.id) as session:
        await record_reference(session, tenant.id, api, "channel", "ch-1")
    secret = await tokens.reveal(
        vault, tenant.id, api, "channel.whatsapp", "send", ref=("channel", "ch-1")
    )
    get_logger("tests.careless").warning("using credential", credential=secret, value=repr(secret))
    await call("POST", f"/api/v1/vault/credentials/{api}/revoke", json={"reason": "leak drill"})
    await call("DELETE", f"/api/v1/vault/credentials/{api}")
    await call("GET", "/api/v1/vault/audit")
    await call("GET", "/api/v1/vault/audit/export")
    await call("GET", "/api/v1/vault/audit/export", params={"format": "jsonl"})

    logs = capfd.readouterr()
    configure_logging("WARNING", json=True)
    assert "using credential" in logs.err  # the capture works
    haystack = "\n".join(seen) + logs.out + logs.err
    leaked = [s for s in [*SECRETS, *pems, API_KEY + "-v2"] if s in haystack]
    assert not leaked
