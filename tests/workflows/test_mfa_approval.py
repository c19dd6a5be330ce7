"""An approval with ``require_mfa``: only a console login that gave a second factor decides it."""

from __future__ import annotations

import httpx

from frontdesk.core.auth import Role
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import login, make_member
from tests.login.helpers import code, enrol, set_clock, try_login
from tests.workflows.helpers import deploy, graph, start, wait_for

EMAIL = "olga@acme.example"
CRITICAL = graph(
    [
        ("s", "start", {}),
        (
            "ok",
            "approval",
            {"title": "Wire {{ input.amount }}", "allowed_roles": ["admin"], "require_mfa": True},
        ),
        ("yes", "end", {"output": "approved"}),
        ("no", "end", {"output": "rejected"}),
    ],
    [("s", "ok", None), ("ok", "yes", "approved"), ("ok", "no", "rejected")],
)


async def test_only_an_mfa_login_decides_an_mfa_approval(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    clock = set_clock(runtime)
    await make_member(runtime.db, tenant.id, EMAIL, Role.ADMIN)
    wid, _ = await deploy(client, tenant.headers, CRITICAL)
    run = await start(client, tenant.headers, wid, input={"amount": 9000})
    body = await wait_for(client, tenant.headers, run, "waiting")
    assert body["waiting"][0]["data"]["require_mfa"] is True
    decide = f"/api/v1/workflow-instances/{run}/approvals/ok"

    r = await client.post(decide, headers=tenant.headers, json={"decision": "approve"})
    assert r.status_code == 403 and "second factor" in r.json()["detail"]  # an API key

    csrf = await login(client, "acme", EMAIL)  # a password-only login
    r = await client.post(decide, headers=csrf, json={"decision": "approve"})
    assert r.status_code == 403 and "second factor" in r.json()["detail"]
    secret, _ = await enrol(client, csrf, clock)
    r = await client.post(decide, headers=csrf, json={"decision": "approve"})
    assert r.status_code == 403, "turning MFA on does not upgrade the login it was done in"

    clock.advance(seconds=30)
    r = await try_login(client, EMAIL, otp=code(secret, clock.now()))
    assert r.status_code == 200, r.text
    mfa_csrf = {"X-CSRF-Token": r.json()["csrf_token"]}
    r = await client.post(decide, headers=mfa_csrf, json={"decision": "approve", "comment": "ok"})
    assert r.status_code == 202, r.text
    assert (await wait_for(client, tenant.headers, run, "completed"))["output"] == "approved"


async def test_mfa_does_not_lift_the_role_check(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    clock = set_clock(runtime)
    await make_member(runtime.db, tenant.id, EMAIL, Role.AGENT)
    wid, _ = await deploy(client, tenant.headers, CRITICAL)
    run = await start(client, tenant.headers, wid, input={"amount": 1})
    await wait_for(client, tenant.headers, run, "waiting")
    secret, _ = await enrol(client, await login(client, "acme", EMAIL), clock)
    clock.advance(seconds=30)
    r = await try_login(client, EMAIL, otp=code(secret, clock.now()))
    csrf = {"X-CSRF-Token": r.json()["csrf_token"]}
    r = await client.post(
        f"/api/v1/workflow-instances/{run}/approvals/ok", headers=csrf, json={"decision": "approve"}
    )
    assert r.status_code == 403 and "Role 'agent'" in r.json()["detail"]
    run_now = await client.get(f"/api/v1/workflow-instances/{run}", headers=tenant.headers)
    assert run_now.json()["status"] == "waiting"
