"""Each ciphertext is bound to its tenant, credential and version; the master key rotates."""

from __future__ import annotations

import base64

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from frontdesk.core.crypto import DecryptionError, KeyRing
from frontdesk.core.crypto_models import DataKey
from frontdesk.runtime import Runtime
from frontdesk.vault import tokens
from frontdesk.vault.masterkey import rewrap
from frontdesk.vault.models import CredentialVersion
from frontdesk.vault.service import Vault
from tests.conftest import TEST_MASTER_KEY, TenantCtx
from tests.vault.helpers import API_KEY, create, decrypt, token, values

NEW_MASTER = bytes(range(32))


async def _blob(runtime: Runtime, credential_id: str) -> bytes:
    async with runtime.db.system_session() as session:
        blob = await session.scalar(
            select(CredentialVersion.ciphertext).where(
                CredentialVersion.credential_id == credential_id
            )
        )
    assert blob is not None
    return blob


async def _store(runtime: Runtime, credential_id: str, blob: bytes) -> None:
    async with runtime.db.system_tx() as session:
        await session.execute(
            update(CredentialVersion)
            .where(CredentialVersion.credential_id == credential_id)
            .values(ciphertext=blob)
        )


async def test_values_are_stored_encrypted(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    cred = await create(client, tenant)
    assert API_KEY.encode() not in await _blob(runtime, cred["id"])


async def test_a_tampered_ciphertext_is_rejected(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    cred = await create(client, tenant)
    blob = bytearray(await _blob(runtime, cred["id"]))
    blob[-5] ^= 0x01
    await _store(runtime, cred["id"], bytes(blob))
    r = await decrypt(client, tenant, await token(client, tenant, cred["id"]))
    assert r.status_code == 500 and r.json()["code"] == "decryption_failed"
    assert API_KEY not in r.text
    trail = await client.get(
        "/api/v1/vault/audit",
        params={"credential_id": cred["id"], "action": "decrypt"},
        headers=tenant.headers,
    )
    [denied] = trail.json()
    assert denied["outcome"] == "denied" and "altered" in denied["reason"]


async def test_a_ciphertext_moved_to_another_credential_or_tenant_fails(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: TenantCtx,
    other_tenant: TenantCtx,
    app: FastAPI,
):
    vault: Vault = app.state.vault
    a1 = await create(client, tenant)
    a2 = await create(client, tenant, suffix=2, value={"key": "sk_second_key_000000000"})
    b1 = await create(client, other_tenant, value={"key": "sk_tenant_b_key_0000000"})
    stolen = await _blob(runtime, a1["id"])
    await _store(runtime, a2["id"], stolen)
    await _store(runtime, b1["id"], stolen)
    for tenant_id, cred_id in ((tenant.id, a2["id"]), (other_tenant.id, b1["id"])):
        with pytest.raises(DecryptionError):
            await tokens.reveal(vault, tenant_id, cred_id, "test", "moved ciphertext")


async def test_rotating_the_master_key_keeps_every_credential_readable(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: TenantCtx,
    other_tenant: TenantCtx,
    app: FastAPI,
):
    created = [(tenant.id, (await create(client, tenant, t))["id"], t) for t in values()] + [
        (other_tenant.id, (await create(client, other_tenant))["id"], "api_key")
    ]
    old = KeyRing(base64.b64decode(TEST_MASTER_KEY))
    # Step 1: processes restarted with the new key and the old one as "previous" read both.
    bridging = KeyRing(NEW_MASTER, previous=[base64.b64decode(TEST_MASTER_KEY)])
    bridge_vault = Vault(runtime.db, bridging, runtime.settings)
    await tokens.reveal(bridge_vault, tenant.id, created[0][1], "check", "before re-wrap")
    # Step 2: re-wrap.
    assert await rewrap(runtime.db, bridging, [old]) == 2
    async with runtime.db.system_session() as session:
        masters = set((await session.scalars(select(DataKey.master_key_id))).all())
    assert masters == {bridging.master_id}
    # Step 3: a process with only the new key reads everything; one with only the old, nothing.
    new_only = Vault(runtime.db, KeyRing(NEW_MASTER), runtime.settings)
    for tenant_id, cred_id, type_name in created:
        secret = await tokens.reveal(new_only, tenant_id, cred_id, "check", "after rotation")
        assert secret.type == type_name
    stale = Vault(runtime.db, KeyRing(base64.b64decode(TEST_MASTER_KEY)), runtime.settings)
    with pytest.raises(DecryptionError):
        await tokens.reveal(stale, tenant.id, created[0][1], "check", "old key only")
    # The running app had the data keys cached: it keeps serving through the switch.
    r = await decrypt(client, tenant, await token(client, tenant, created[0][1]))
    assert r.status_code == 200
