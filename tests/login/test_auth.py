"""Member login: cookies, CSRF, logout, expiry, lockout, and the same role checks as API keys."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from frontdesk.core.auth import PERMISSIONS, Role
from frontdesk.core.clock import utcnow
from frontdesk.login.passwords import hash_password, verify_password
from frontdesk.login.service import IpGuard
from frontdesk.runtime import Runtime
from frontdesk.tenants.models import Member, MemberSession
from tests.conftest import TenantCtx
from tests.factories import login, make_member

EMAIL = "ana@acme.example"


async def _member(runtime: Runtime, tenant: TenantCtx, role: Role = Role.ADMIN) -> str:
    return await make_member(runtime.db, tenant.id, EMAIL, role)


def test_password_hash_is_argon2_and_salted():
    a, b = hash_password("correct-horse-1"), hash_password("correct-horse-1")
    assert a.startswith("$argon2id$") and a != b
    assert verify_password(a, "correct-horse-1")
    assert not verify_password(a, "wrong-horse-1")
    assert not verify_password(None, "correct-horse-1")
    assert not verify_password("not a hash", "correct-horse-1")


async def test_login_sets_safe_cookies_and_me_reports_role(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    member_id = await _member(runtime, tenant, Role.AGENT)
    r = await client.post(
        "/api/v1/auth/login",
        json={"tenant": "acme", "email": EMAIL.upper(), "password": "correct-horse-1"},
    )
    assert r.status_code == 200, r.text
    cookies = r.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("fd_session="))
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
    assert "Secure" not in session_cookie
    csrf_cookie = next(c for c in cookies if c.startswith("fd_csrf="))
    assert "HttpOnly" not in csrf_cookie
    me = (await client.get("/api/v1/auth/me")).json()
    assert me["member"]["id"] == member_id and me["role"] == "agent"
    assert me["permissions"] == sorted(PERMISSIONS[Role.AGENT])
    assert me["tenant"]["slug"] == "acme"
    # The stored session is hashed: the cookie value is nowhere in the table.
    token = client.cookies["fd_session"]
    async with runtime.db.tenant_session(tenant.id) as session:
        row = await session.scalar(
            MemberSession.__table__.select().with_only_columns(MemberSession.token_hash)  # type: ignore[attr-defined]
        )
    assert row and token not in row and len(row) == 64


async def test_secure_cookie_flag_is_configurable(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    await _member(runtime, tenant)
    runtime.settings.cookie_secure = True
    r = await client.post(
        "/api/v1/auth/login", json={"tenant": "acme", "email": EMAIL, "password": "correct-horse-1"}
    )
    assert all("Secure" in c for c in r.headers.get_list("set-cookie"))


async def test_wrong_credentials_are_one_generic_401(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    await _member(runtime, tenant)
    for body in (
        {"tenant": "acme", "email": EMAIL, "password": "wrong-horse-1"},
        {"tenant": "acme", "email": "nobody@acme.example", "password": "correct-horse-1"},
        {"tenant": "nope", "email": EMAIL, "password": "correct-horse-1"},
    ):
        r = await client.post("/api/v1/auth/login", json=body)
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"] == "Wrong tenant, e-mail or password"
    r = await client.post("/api/v1/auth/login", json={"tenant": "acme"})
    assert r.status_code == 422


async def test_cookie_writes_need_the_csrf_header(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    await _member(runtime, tenant)
    csrf = await login(client, "acme", EMAIL)
    body = {"email": "new@acme.example", "role": "viewer"}
    r = await client.post("/api/v1/members", json=body)
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    r = await client.post("/api/v1/members", json=body, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    r = await client.post("/api/v1/members", json=body, headers=csrf)
    assert r.status_code == 201, r.text
    assert client.cookies["fd_csrf"] == csrf["X-CSRF-Token"]


async def test_session_role_checks_match_api_keys(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    await _member(runtime, tenant, Role.VIEWER)
    csrf = await login(client, "acme", EMAIL)
    assert (await client.get("/api/v1/faq")).status_code == 200
    r = await client.get("/api/v1/members")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = await client.post("/api/v1/faq", json={"question": "q?", "answer": "a"}, headers=csrf)
    assert r.status_code == 403


async def test_logout_ends_the_session(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    await _member(runtime, tenant)
    csrf = await login(client, "acme", EMAIL)
    token = client.cookies["fd_session"]
    r = await client.post("/api/v1/auth/logout", headers=csrf)
    assert r.status_code == 204
    client.cookies.set("fd_session", token)  # a stolen copy of the cookie no longer works
    r = await client.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "session_expired"


async def test_expired_session_is_401_problem(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    await _member(runtime, tenant)
    await login(client, "acme", EMAIL)
    async with runtime.db.tenant_tx(tenant.id) as session:
        await session.execute(
            update(MemberSession).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    r = await client.get("/api/v1/conversations")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "session_expired"


async def test_account_locks_after_repeated_failures(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    await _member(runtime, tenant)
    wrong = {"tenant": "acme", "email": EMAIL, "password": "wrong-horse-1"}
    for _ in range(runtime.settings.login_max_failures):
        assert (await client.post("/api/v1/auth/login", json=wrong)).status_code == 401
    right = {**wrong, "password": "correct-horse-1"}
    r = await client.post("/api/v1/auth/login", json=right)
    assert r.status_code == 429 and "locked" in r.json()["detail"]
    assert int(r.headers["retry-after"]) > 0
    async with runtime.db.tenant_tx(tenant.id) as session:  # the lockout ends
        await session.execute(update(Member).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert (await client.post("/api/v1/auth/login", json=right)).status_code == 200


def test_ip_guard_blocks_an_address_after_too_many_failures():
    guard = IpGuard(max_failures=3, window_seconds=60)
    for t in range(3):
        guard.check("10.0.0.1", now=float(t))
        guard.fail("10.0.0.1", now=float(t))
    try:
        guard.check("10.0.0.1", now=10.0)
        raise AssertionError("not blocked")
    except Exception as e:
        assert getattr(e, "status", None) == 429
    guard.check("10.0.0.2", now=10.0)  # other addresses are not affected
    guard.check("10.0.0.1", now=61.0)  # the window slides


async def test_login_is_refused_per_ip_across_accounts(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    await _member(runtime, tenant)
    runtime.settings.login_max_failures = 100
    client._transport.app.state.login_guard = IpGuard(max_failures=3, window_seconds=60)  # type: ignore[attr-defined]
    for i in range(3):
        body = {"tenant": "acme", "email": f"x{i}@acme.example", "password": "wrong-horse-1"}
        assert (await client.post("/api/v1/auth/login", json=body)).status_code == 401
    body = {"tenant": "acme", "email": EMAIL, "password": "correct-horse-1"}
    assert (await client.post("/api/v1/auth/login", json=body)).status_code == 429


async def test_admin_sets_a_password_and_old_sessions_end(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    member_id = await _member(runtime, tenant, Role.AGENT)
    async with httpx.AsyncClient(transport=client._transport, base_url="http://test") as agent:
        await login(agent, "acme", EMAIL)
        r = await client.put(
            f"/api/v1/members/{member_id}/password",
            json={"password": "a-new-password"},
            headers=tenant.headers,
        )
        assert r.status_code == 200, r.text
        assert (await agent.get("/api/v1/auth/me")).status_code == 401
        await login(agent, "acme", EMAIL, "a-new-password")
    r = await client.put(
        f"/api/v1/members/{member_id}/password", json={"password": "short"}, headers=tenant.headers
    )
    assert r.status_code == 422


async def test_api_key_me_has_no_member(client: httpx.AsyncClient, tenant: TenantCtx):
    me = (await client.get("/api/v1/auth/me", headers=tenant.headers)).json()
    assert me["member"] is None and me["role"] == "admin" and me["csrf_token"] is None
