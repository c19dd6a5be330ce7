"""The process's memory of revealed credential versions, shared by the LLM gateway and channels."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from frontdesk.runtime import Runtime
from frontdesk.vault.errors import CredentialUnavailable
from frontdesk.vault.revealed import RevealedValues, active_versions
from frontdesk.vault.types import ApiKey
from tests.conftest import TenantCtx
from tests.vault.helpers import API_KEY, audit_rows, create, revoke, rotate


async def test_a_version_is_revealed_once_even_when_asked_at_once(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    cred = await create(client, tenant)
    revealed = RevealedValues(app.state.vault, "tests")
    ask = [revealed.get(tenant.id, cred["id"], 1, "test", ("integration", "crm")) for _ in range(5)]
    values = await asyncio.gather(*ask)
    assert all(isinstance(v, ApiKey) and v.key == API_KEY for v in values)
    assert len(await audit_rows(client, tenant, cred["id"], "decrypt")) == 1

    await rotate(client, tenant, cred["id"], {"key": "sk_live_rotated_0000000000000000"})
    async with runtime.db.tenant_session(tenant.id) as session:
        assert await active_versions(session, tenant.id, {cred["id"]}) == {cred["id"]: 2}
    new = await revealed.get(tenant.id, cred["id"], 2, "test", ("integration", "crm"))
    assert isinstance(new, ApiKey) and new.key.startswith("sk_live_rotated")
    assert len(await audit_rows(client, tenant, cred["id"], "decrypt")) == 2


async def test_a_failed_reveal_is_shared_and_not_remembered(
    app: FastAPI, client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    cred = await create(client, tenant)
    await revoke(client, tenant, cred["id"])
    async with runtime.db.tenant_session(tenant.id) as session:
        assert await active_versions(session, tenant.id, {cred["id"]}) == {}
    revealed = RevealedValues(app.state.vault, "tests")
    ask = [revealed.get(tenant.id, cred["id"], 1, "test", ("integration", "crm")) for _ in range(3)]
    outcomes = await asyncio.gather(*ask, return_exceptions=True)
    assert all(isinstance(o, CredentialUnavailable) for o in outcomes)
    with pytest.raises(CredentialUnavailable):
        await revealed.get(tenant.id, cred["id"], 1, "test", ("integration", "crm"))
