"""Lifecycle: expiry alerts (once), rotation reminders, purge after 90 days, revocation, usage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from frontdesk.core.errors import ValidationFailed
from frontdesk.core.outbox import OutboxEvent
from frontdesk.runtime import Runtime
from frontdesk.vault.errors import CredentialUnavailable
from frontdesk.vault.lifecycle import run_checks
from frontdesk.vault.models import Credential, VaultAudit
from frontdesk.vault.service import Vault, record_reference
from tests.conftest import TenantCtx
from tests.vault.helpers import FakeClock, create


@pytest.fixture
def vault(app: FastAPI) -> Vault:
    v: Vault = app.state.vault
    v.clock = FakeClock()
    return v


async def events(runtime: Runtime, type: str) -> list[dict[str, Any]]:
    async with runtime.db.system_session() as session:
        rows = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == type).order_by(OutboxEvent.id)
        )
        return [row.payload for row in rows.all()]


async def test_expiry_alert_seven_days_before_once(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, vault: Vault
):
    clock = vault.clock
    assert isinstance(clock, FakeClock)
    soon = await create(client, tenant, expires_at=(clock.now() + timedelta(days=10)).isoformat())
    await create(
        client, tenant, suffix=2, expires_at=(clock.now() + timedelta(days=60)).isoformat()
    )
    assert (await run_checks(vault)).expiring == 0
    clock.advance(days=3, seconds=1)
    listed = (await client.get("/api/v1/vault/credentials", headers=tenant.headers)).json()
    assert {c["id"]: c["expires_soon"] for c in listed}[soon["id"]] is True
    assert (await run_checks(vault)).expiring == 1
    assert (await run_checks(vault)).expiring == 0
    sent = await events(runtime, "vault.credential_expiring")
    assert [e["credential_id"] for e in sent] == [soon["id"]]
    # Rotating with a new expiry re-arms the alert.
    await client.post(
        f"/api/v1/vault/credentials/{soon['id']}/rotate",
        headers=tenant.headers,
        json={
            "value": {"key": "sk_live_new_0000000000000"},
            "reason": "renewed",
            "expires_at": (clock.now() + timedelta(days=5)).isoformat(),
        },
    )
    assert (await run_checks(vault)).expiring == 1


async def test_rotation_reminder(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, vault: Vault
):
    clock = vault.clock
    assert isinstance(clock, FakeClock)
    cred = await create(client, tenant, rotation_days=30)
    assert (await run_checks(vault)).rotation_due == 0
    clock.advance(days=30)
    one = await client.get(f"/api/v1/vault/credentials/{cred['id']}", headers=tenant.headers)
    assert one.json()["rotation_due"] is True
    assert (await run_checks(vault)).rotation_due == 1
    assert (await run_checks(vault)).rotation_due == 0
    assert len(await events(runtime, "vault.credential_rotation_due")) == 1


async def test_archived_credentials_are_purged_after_ninety_days(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, vault: Vault
):
    clock = vault.clock
    assert isinstance(clock, FakeClock)
    cred = await create(client, tenant)
    kept = await create(client, tenant, suffix=2)
    await client.delete(f"/api/v1/vault/credentials/{cred['id']}", headers=tenant.headers)
    clock.advance(days=89)
    assert (await run_checks(vault)).purged == 0
    clock.advance(days=1, seconds=1)
    assert (await run_checks(vault)).purged == 1
    async with runtime.db.system_session() as session:
        left = (await session.scalars(select(Credential.id))).all()
        trail = (
            await session.scalars(
                select(VaultAudit.action).where(VaultAudit.credential_id == cred["id"])
            )
        ).all()
    assert left == [kept["id"]]
    assert {"create", "delete", "purge"} <= set(trail)  # the audit trail outlives the credential


async def test_revocation_and_deletion_list_and_flag_dependents(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    used = await create(client, tenant)
    other = await create(client, tenant, suffix=2)
    async with runtime.db.tenant_tx(tenant.id) as session:
        await record_reference(session, tenant.id, used["id"], "channel", "ch-whatsapp")
        await record_reference(session, tenant.id, used["id"], "workflow", "wf-7")
        await record_reference(session, tenant.id, used["id"], "workflow", "wf-7")  # idempotent
        await record_reference(session, tenant.id, other["id"], "bot", "bot-1")
        with pytest.raises(ValidationFailed):
            await record_reference(session, tenant.id, used["id"], "spaceship", "x")

    usage = (
        await client.get(f"/api/v1/vault/credentials/{used['id']}/usage", headers=tenant.headers)
    ).json()
    assert [(r["kind"], r["ref_id"]) for r in usage["references"]] == [
        ("channel", "ch-whatsapp"),
        ("workflow", "wf-7"),
    ]

    r = await client.delete(f"/api/v1/vault/credentials/{other['id']}", headers=tenant.headers)
    assert r.status_code == 409 and r.json()["code"] == "credential_in_use"
    assert r.json()["dependents"] == [{"kind": "bot", "ref_id": "bot-1"}]
    r = await client.delete(
        f"/api/v1/vault/credentials/{other['id']}",
        params={"force": "true"},
        headers=tenant.headers,
    )
    assert r.status_code == 204

    r = await client.post(
        f"/api/v1/vault/credentials/{used['id']}/revoke",
        headers=tenant.headers,
        json={"reason": "provider breach"},
    )
    body = r.json()
    assert [d["ref_id"] for d in body["dependents"]] == ["ch-whatsapp", "wf-7"]
    assert all(
        d["flagged_at"] and "provider breach" in d["flag_reason"] for d in body["dependents"]
    )
    [event] = await events(runtime, "vault.credential_revoked")
    assert len(event["dependents"]) == 2
    async with runtime.db.tenant_tx(tenant.id) as session:
        for cred_id in (used["id"], other["id"]):
            with pytest.raises(CredentialUnavailable):
                await record_reference(session, tenant.id, cred_id, "bot", "bot-2")
