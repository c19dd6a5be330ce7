"""Runtime access: single-use, 5-minute, service-scoped decrypt tokens; reveal(); SecretValue."""

from __future__ import annotations

import pickle

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from frontdesk.core.outbox import OutboxEvent
from frontdesk.runtime import Runtime
from frontdesk.vault import tokens
from frontdesk.vault.errors import TokenRejected
from frontdesk.vault.service import Vault, record_reference
from tests.conftest import TenantCtx
from tests.vault.helpers import API_KEY, FakeClock, create, decrypt, token, usage


@pytest.fixture
def clock(app: FastAPI) -> FakeClock:
    fake = FakeClock()
    app.state.vault.clock = fake
    return fake


async def test_a_token_decrypts_once(client: httpx.AsyncClient, tenant: TenantCtx):
    cred = await create(client, tenant)
    t = await token(client, tenant, cred["id"])
    assert t.startswith("fdv_")
    r = await decrypt(client, tenant, t)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "credential_id": cred["id"],
        "type": "api_key",
        "version": 1,
        "value": {"key": API_KEY, "header": "Authorization", "scheme": "Bearer", "probe_url": None},
    }
    assert r.headers["cache-control"] == "no-store"
    replay = await decrypt(client, tenant, t)
    assert replay.status_code == 403
    assert replay.json()["code"] == "vault_token_rejected"
    assert "already used" in replay.json()["detail"] and API_KEY not in replay.text
    used = await usage(client, tenant, cred["id"])
    assert used["use_count"] == 1 and used["last_used_at"]


async def test_a_token_expires_after_five_minutes(
    client: httpx.AsyncClient, tenant: TenantCtx, clock: FakeClock
):
    cred = await create(client, tenant)
    fresh, stale = await token(client, tenant, cred["id"]), await token(client, tenant, cred["id"])
    clock.advance(minutes=4, seconds=59)
    assert (await decrypt(client, tenant, fresh)).status_code == 200
    clock.advance(seconds=1)
    r = await decrypt(client, tenant, stale)
    assert r.status_code == 403 and "expired" in r.json()["detail"]


async def test_a_token_is_scoped_to_its_service_and_credential(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    cred = await create(client, tenant)
    other = await create(client, tenant, suffix=2)
    t = await token(client, tenant, cred["id"], service="crm-sync")
    r = await decrypt(client, tenant, t, service="billing")
    assert r.status_code == 403 and "another service" in r.json()["detail"]
    r = await decrypt(client, tenant, t, credential_id=other["id"])
    assert r.status_code == 403 and "another credential" in r.json()["detail"]
    r = await decrypt(client, tenant, "fdv_made-up")
    assert r.status_code == 403 and "unknown token" in r.json()["detail"]
    # Refusals consumed nothing: the right service and credential still work, once.
    assert (await decrypt(client, tenant, t, credential_id=cred["id"])).status_code == 200


async def test_tenant_b_cannot_decrypt_tenant_a_credential(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
):
    a_cred = await create(client, tenant)
    b_cred = await create(client, other_tenant, value={"key": "sk_b_own_key_0000000000"})
    r = await client.post(
        f"/api/v1/vault/credentials/{a_cred['id']}/tokens",
        headers=other_tenant.headers,
        json={"service": "crm-sync", "reason": "trying my luck"},
    )
    assert r.status_code == 404
    b_token = await token(client, other_tenant, b_cred["id"])
    r = await decrypt(client, other_tenant, b_token, credential_id=a_cred["id"])
    assert r.status_code == 403 and API_KEY not in r.text
    a_token = await token(client, tenant, a_cred["id"])
    r = await decrypt(client, other_tenant, a_token)
    assert r.status_code == 403 and API_KEY not in r.text
    # B's own valid token still reads B's credential only; A's token still works for A.
    assert (await decrypt(client, other_tenant, b_token)).json()["credential_id"] == b_cred["id"]
    assert (await decrypt(client, tenant, a_token)).json()["value"]["key"] == API_KEY


async def test_revoked_credentials_cannot_be_decrypted(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    cred = await create(client, tenant)
    t = await token(client, tenant, cred["id"])
    r = await client.post(
        f"/api/v1/vault/credentials/{cred['id']}/revoke",
        headers=tenant.headers,
        json={"reason": "leaked in a log"},
    )
    assert r.status_code == 200 and r.json()["credential"]["status"] == "revoked"
    r = await decrypt(client, tenant, t)
    assert r.status_code == 409 and r.json()["code"] == "credential_unavailable"
    # The refused decrypt was rolled back, count and all.
    assert (await usage(client, tenant, cred["id"]))["use_count"] == 0


async def test_reveal_for_internal_callers(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, app: FastAPI
):
    vault: Vault = app.state.vault
    cred = await create(client, tenant)
    async with runtime.db.tenant_tx(tenant.id) as session:
        await record_reference(session, tenant.id, cred["id"], "workflow", "wf-1")
    secret = await tokens.reveal(
        vault,
        tenant.id,
        cred["id"],
        "workflow.http",
        "step 3 calls the CRM",
        ref=("workflow", "wf-1"),
    )
    assert secret.reveal()["key"] == API_KEY
    assert secret.value.header_value() == f"Bearer {API_KEY}"  # type: ignore[attr-defined]
    for shown in (repr(secret), str(secret), f"{secret}", str([secret])):
        assert API_KEY not in shown and "*****" in shown
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    used = await usage(client, tenant, cred["id"])
    assert used["use_count"] == 1
    assert used["references"][0]["use_count"] == 1
    with pytest.raises(TokenRejected):
        await tokens.redeem(vault, tenant.id, tokens.SYSTEM, "fdv_nothing", "workflow.http")


async def test_a_burst_of_decrypts_raises_one_anomaly_event(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, app: FastAPI
):
    runtime.settings.vault_anomaly_per_minute = 3
    vault: Vault = app.state.vault
    cred = await create(client, tenant)
    for _ in range(6):
        await tokens.reveal(vault, tenant.id, cred["id"], "llm.gateway", "completion call")
    async with runtime.db.system_session() as session:
        events = (
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "vault.credential_anomaly")
            )
        ).all()
    assert len(events) == 1
    assert events[0].payload["credential_id"] == cred["id"]
    assert events[0].payload["decrypts_last_minute"] == 4
