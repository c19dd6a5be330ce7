"""Workflows and the vault: activation records references, HTTP actions decrypt through V3."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from frontdesk.settings import Settings
from tests.conftest import TenantCtx
from tests.vault.helpers import API_KEY, audit_rows, create, revoke, usage
from tests.workflows.effects_server import FakeApi
from tests.workflows.helpers import deploy, graph, start, wait_for


@pytest.fixture
def settings(settings: Settings, api_server: FakeApi) -> Settings:
    return settings.model_copy(update={"http_allowed_hosts": [api_server.hostport]})


def calling(api: FakeApi, credential_id: str) -> dict[str, Any]:
    """A manual workflow whose one HTTP action authenticates with ``credential_id``."""
    http = {"url": f"{api.url}/me", "auth": {"credential_id": credential_id, "type": "bearer"}}
    return graph(
        [("s", "start", {}), ("call", "http", http), ("e", "end", {})],
        [("s", "call", None), ("call", "e", None)],
    )


async def test_a_run_decrypts_through_the_vault_audited_and_counted(
    client: httpx.AsyncClient, tenant: TenantCtx, api: FakeApi
) -> None:
    cred = await create(client, tenant)
    workflow_id, _ = await deploy(client, tenant.headers, calling(api, cred["id"]))
    before = await usage(client, tenant, cred["id"])
    assert [(r["kind"], r["ref_id"], r["use_count"]) for r in before["references"]] == [
        ("workflow", workflow_id, 0)
    ]

    run_id = await start(client, tenant.headers, workflow_id)
    assert (await wait_for(client, tenant.headers, run_id, "completed", "failed"))[
        "status"
    ] == "completed"
    [request] = api.requests
    assert request.headers["authorization"] == f"Bearer {API_KEY}"

    after = await usage(client, tenant, cred["id"])
    assert after["use_count"] == 1 and after["references"][0]["use_count"] == 1
    [decrypt] = await audit_rows(client, tenant, cred["id"], "decrypt")  # no key in the trail
    assert decrypt["service"] == "workflow.http" and decrypt["outcome"] == "ok"
    assert run_id in decrypt["reason"] and "call" in decrypt["reason"]


async def test_revocation_flags_the_workflow_and_blocks_its_activation(
    client: httpx.AsyncClient, tenant: TenantCtx, api: FakeApi
) -> None:
    cred = await create(client, tenant)
    workflow_id, version_id = await deploy(client, tenant.headers, calling(api, cred["id"]))
    r = await revoke(client, tenant, cred["id"])
    assert [(d["kind"], d["ref_id"]) for d in r.json()["dependents"]] == [("workflow", workflow_id)]
    r = await client.post(
        f"/api/v1/workflows/{workflow_id}/activate",
        headers=tenant.headers,
        json={"version_id": version_id},
    )
    assert r.status_code == 409 and r.json()["code"] == "credential_unavailable"
    assert cred["id"] in r.json()["detail"] and "revoked" in r.json()["detail"]


async def test_a_version_using_an_unknown_credential_cannot_be_activated(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx, api: FakeApi
) -> None:
    theirs = await create(client, other_tenant)
    for credential_id in ("no-such-credential", theirs["id"]):
        r = await client.post(
            "/api/v1/workflows",
            headers=tenant.headers,
            json={"name": f"uses {credential_id}", "definition": calling(api, credential_id)},
        )
        workflow_id = r.json()["id"]
        r = await client.post(
            f"/api/v1/workflows/{workflow_id}/versions", headers=tenant.headers, json={}
        )
        r = await client.post(
            f"/api/v1/workflows/{workflow_id}/activate",
            headers=tenant.headers,
            json={"version_id": r.json()["id"]},
        )
        assert r.status_code == 409, r.text
        assert r.json()["detail"] == f"Credential {credential_id} does not exist"
