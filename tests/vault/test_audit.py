"""The audit trail: every access recorded with actor, service, reason, IP and user agent;
queryable, exportable, and append-only in the database itself."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest
from sqlalchemy import text

from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.vault.helpers import API_KEY, create, decrypt, token


async def test_every_access_is_audited(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
):
    headers = {**tenant.headers, "User-Agent": "audit-test/1.0"}
    cred = await create(client, tenant)
    url = f"/api/v1/vault/credentials/{cred['id']}"
    await client.get(url, headers=headers)
    await client.patch(url, headers=headers, json={"description": "CRM"})
    await client.post(
        f"{url}/rotate",
        headers=headers,
        json={"value": {"key": "sk_live_v2_000000000000000"}, "reason": "scheduled"},
    )
    t = await token(client, tenant, cred["id"])
    await decrypt(client, tenant, t)
    await decrypt(client, tenant, t)  # replay: denied, audited
    t2 = await token(client, tenant, cred["id"])
    await client.delete(url, headers=headers)
    assert (await decrypt(client, tenant, t2)).status_code == 409  # archived: denied, audited

    r = await client.get(
        "/api/v1/vault/audit", params={"credential_id": cred["id"]}, headers=tenant.headers
    )
    assert r.status_code == 200, r.text
    rows = r.json()
    actions = [(row["action"], row["outcome"]) for row in reversed(rows)]
    assert actions == [
        ("create", "ok"),
        ("read", "ok"),
        ("update", "ok"),
        ("rotate", "ok"),
        ("token", "ok"),
        ("decrypt", "ok"),
        ("decrypt", "denied"),
        ("token", "ok"),
        ("delete", "ok"),
        ("decrypt", "denied"),
    ]
    decrypted = next(row for row in rows if row["action"] == "decrypt" and row["outcome"] == "ok")
    assert decrypted["service"] == "crm-sync" and decrypted["reason"] == "nightly CRM sync"
    assert all(row["actor"].startswith("apikey:") and row["ip"] for row in rows)
    assert {row["user_agent"] for row in rows if row["action"] == "read"} == {"audit-test/1.0"}
    only = await client.get(
        "/api/v1/vault/audit", params={"action": "rotate"}, headers=tenant.headers
    )
    assert [row["reason"] for row in only.json()] == ["scheduled"]
    assert (await client.get("/api/v1/vault/audit", headers=other_tenant.headers)).json() == []


async def test_export_as_csv_and_json_lines(client: httpx.AsyncClient, tenant: TenantCtx):
    cred = await create(client, tenant)
    await client.patch(
        f"/api/v1/vault/credentials/{cred['id']}",
        headers=tenant.headers,
        json={"description": "x"},
    )
    r = await client.get("/api/v1/vault/audit/export", headers=tenant.headers)
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["action"] for row in rows} >= {"create", "update"}
    r = await client.get(
        "/api/v1/vault/audit/export", params={"format": "jsonl"}, headers=tenant.headers
    )
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert {line["action"] for line in lines} >= {"create", "update"}
    assert API_KEY not in r.text
    bad = await client.get(
        "/api/v1/vault/audit/export", params={"format": "xml"}, headers=tenant.headers
    )
    assert bad.status_code == 422


async def test_audit_rows_cannot_be_changed_or_deleted(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    await create(client, tenant)
    for statement in ("UPDATE vault_audit SET actor = 'nobody'", "DELETE FROM vault_audit"):
        with pytest.raises(Exception, match="append-only"):
            async with runtime.db.system_tx() as session:
                await session.execute(text(statement))
    async with runtime.db.system_session() as session:
        actors = (await session.execute(text("SELECT actor FROM vault_audit"))).scalars().all()
    assert actors and "nobody" not in actors
