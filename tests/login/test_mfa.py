"""Member MFA: enrolment, login with a TOTP or a recovery code, replay, drift, disable, reset."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta

import httpx
import pyotp
import pytest
from sqlalchemy import select

from frontdesk.core.auth import Role
from frontdesk.login import mfa, service
from frontdesk.login.models import RecoveryCode
from frontdesk.login.service import IpGuard
from frontdesk.runtime import Runtime
from frontdesk.tenants.models import Member, MemberSession
from tests.conftest import TenantCtx
from tests.factories import api_key, login, make_member
from tests.login.helpers import T0, code, enrol, set_clock, try_login
from tests.logs import capture_log

EMAIL = "ana@acme.example"


@pytest.fixture
async def member_id(runtime: Runtime, tenant: TenantCtx) -> str:
    return await make_member(runtime.db, tenant.id, EMAIL, Role.ADMIN)


# -- the TOTP logic ----------------------------------------------------------------------


def test_codes_match_within_one_step_of_drift_and_only_after_the_last_step():
    secret = mfa.new_secret()
    assert len(secret) == 32 and len(base64.b32decode(secret)) == 20
    step = mfa.time_step(T0)
    for offset in (-30, 0, 30):
        at = T0 + timedelta(seconds=offset)
        assert mfa.match_step(secret, code(secret, at), T0, None) == step + offset // 30
    for offset in (-60, 60, -300):
        assert (
            mfa.match_step(secret, code(secret, T0 + timedelta(seconds=offset)), T0, None) is None
        )
    now = code(secret, T0)
    assert mfa.match_step(secret, f"{now[:3]} {now[3:]}", T0, None) == step  # spaces are fine
    assert mfa.match_step(secret, now, T0, after=step) is None  # replay
    assert mfa.match_step(secret, code(secret, T0 - timedelta(seconds=30)), T0, after=step) is None
    assert mfa.match_step(secret, "12345", T0, None) is None
    assert mfa.match_step(secret, "abcdef", T0, None) is None


def test_provisioning_uri_and_recovery_codes():
    uri = mfa.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "ana@acme.example", "acme")
    assert uri.startswith("otpauth://totp/Frontdesk:ana%40acme.example%20%28acme%29?")
    assert "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" in uri and "issuer=Frontdesk" in uri
    assert mfa.qr_svg_data_uri(uri).startswith("data:image/svg+xml")
    codes = mfa.new_recovery_codes()
    assert len(set(codes)) == 10 and all(len(c) == 19 and c.count("-") == 3 for c in codes)
    assert not any(mfa.is_totp_code(c) for c in codes)
    assert mfa.recovery_hash(codes[0]) == mfa.recovery_hash(codes[0].upper().replace("-", " "))


# -- enrolment ---------------------------------------------------------------------------


async def test_setup_then_confirm_turns_mfa_on_and_shows_secrets_once(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, member_id: str
):
    clock = set_clock(runtime)
    csrf = await login(client, "acme", EMAIL)
    me = (await client.get("/api/v1/auth/me")).json()
    assert me["mfa"] == {
        "enabled": False,
        "pending": False,
        "recovery_codes_left": 0,
        "session": False,
    }
    r = await client.post("/api/v1/auth/mfa/setup", headers=csrf)
    assert r.status_code == 200, r.text
    setup = r.json()
    secret = setup["secret"]
    assert setup["otpauth_uri"] == pyotp.TOTP(secret).provisioning_uri(
        name=f"{EMAIL} (acme)", issuer_name="Frontdesk"
    )
    assert setup["qr_svg"].startswith("data:image/svg+xml")
    async with runtime.db.tenant_session(tenant.id) as session:
        row = await session.get(Member, member_id)
    assert row is not None and row.mfa_pending and secret.encode() not in row.mfa_pending
    assert row.mfa_secret is None  # pending until confirmed
    assert (await client.get("/api/v1/auth/me")).json()["mfa"]["pending"] is True

    wrong = code(secret, T0 + timedelta(minutes=5))
    r = await client.post("/api/v1/auth/mfa/confirm", headers=csrf, json={"code": wrong})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = await client.post(
        "/api/v1/auth/mfa/confirm", headers=csrf, json={"code": code(secret, clock.now())}
    )
    assert r.status_code == 200, r.text
    codes = r.json()["recovery_codes"]
    assert len(set(codes)) == 10

    texts = [r.text]
    me_r = await client.get("/api/v1/auth/me")
    texts.append(me_r.text)
    assert me_r.json()["mfa"] == {
        "enabled": True,
        "pending": False,
        "recovery_codes_left": 10,
        "session": False,  # this login gave no code: log in again for an MFA login
    }
    members = await client.get("/api/v1/members", headers=tenant.headers)
    texts.append(members.text)
    assert next(m for m in members.json() if m["id"] == member_id)["mfa_enabled"] is True
    r = await client.post("/api/v1/auth/mfa/setup", headers=csrf)
    assert r.status_code == 409
    texts.append(r.text)
    assert not any(secret in t for t in texts)
    async with runtime.db.tenant_session(tenant.id) as session:
        hashes = list(await session.scalars(select(RecoveryCode.code_hash)))
    assert len(hashes) == 10 and not {c for c in codes} & set(hashes)


async def test_api_keys_have_no_mfa_to_set_up(client: httpx.AsyncClient, tenant: TenantCtx):
    for path, body in (
        ("setup", None),
        ("confirm", {"code": "123456"}),
        ("disable", {"code": "1"}),
    ):
        r = await client.post(f"/api/v1/auth/mfa/{path}", headers=tenant.headers, json=body)
        assert r.status_code == 403, (path, r.text)
    me = (await client.get("/api/v1/auth/me", headers=tenant.headers)).json()
    assert me["mfa"] is None


async def test_confirm_without_setup_is_a_conflict(
    client: httpx.AsyncClient, runtime: Runtime, member_id: str
):
    csrf = await login(client, "acme", EMAIL)
    r = await client.post("/api/v1/auth/mfa/confirm", headers=csrf, json={"code": "123456"})
    assert r.status_code == 409 and r.json()["code"] == "conflict"


# -- login -------------------------------------------------------------------------------


async def test_login_asks_for_the_code_only_after_the_right_password(
    client: httpx.AsyncClient, runtime: Runtime, member_id: str
):
    clock = set_clock(runtime)
    secret, _ = await enrol(client, await login(client, "acme", EMAIL), clock)
    client.cookies.clear()
    r = await try_login(client, EMAIL, password="wrong-horse-1")
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    assert r.json()["detail"] == "Wrong tenant, e-mail or password"  # as for members without MFA
    r = await try_login(client, EMAIL)
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "mfa_required" and "set-cookie" not in r.headers
    r = await try_login(client, EMAIL, otp="000000" if code(secret, T0) != "000000" else "111111")
    assert r.status_code == 401 and r.json()["code"] == "mfa_invalid"
    r = await try_login(client, EMAIL, password="wrong-horse-1", otp=code(secret, T0))
    assert r.json()["code"] == "unauthorized"
    clock.advance(seconds=30)
    r = await try_login(client, EMAIL, otp=code(secret, clock.now()))
    assert r.status_code == 200, r.text
    assert r.json()["mfa"]["session"] is True
    assert (await client.get("/api/v1/auth/me")).json()["mfa"]["session"] is True


async def test_a_code_works_once_and_older_codes_never(
    client: httpx.AsyncClient, runtime: Runtime, member_id: str
):
    clock = set_clock(runtime)
    secret, _ = await enrol(client, await login(client, "acme", EMAIL), clock)  # uses step T0
    r = await try_login(client, EMAIL, otp=code(secret, T0))
    assert r.json()["code"] == "mfa_invalid", "the confirming code was used already"
    clock.advance(seconds=30)
    now = code(secret, clock.now())
    assert (await try_login(client, EMAIL, otp=now)).status_code == 200
    r = await try_login(client, EMAIL, otp=now)
    assert r.status_code == 401 and r.json()["code"] == "mfa_invalid"  # replayed
    clock.advance(seconds=30)
    assert (await try_login(client, EMAIL, otp=code(secret, clock.now()))).status_code == 200


async def test_one_step_of_clock_drift_either_way(
    client: httpx.AsyncClient, runtime: Runtime, member_id: str
):
    clock = set_clock(runtime)
    secret, _ = await enrol(client, await login(client, "acme", EMAIL), clock)
    clock.advance(minutes=5)
    behind = code(secret, clock.now() - timedelta(seconds=30))
    assert (await try_login(client, EMAIL, otp=behind)).status_code == 200
    ahead = code(secret, clock.now() + timedelta(seconds=30))
    assert (await try_login(client, EMAIL, otp=ahead)).status_code == 200
    clock.advance(minutes=5)
    for seconds in (-60, 60):
        far = code(secret, clock.now() + timedelta(seconds=seconds))
        r = await try_login(client, EMAIL, otp=far)
        assert r.status_code == 401 and r.json()["code"] == "mfa_invalid", seconds


async def test_a_recovery_code_works_once(
    client: httpx.AsyncClient, runtime: Runtime, member_id: str
):
    clock = set_clock(runtime)
    _, codes = await enrol(client, await login(client, "acme", EMAIL), clock)
    r = await try_login(client, EMAIL, otp=codes[3].upper().replace("-", " "))
    assert r.status_code == 200, r.text
    assert r.json()["mfa"] == {
        "enabled": True,
        "pending": False,
        "recovery_codes_left": 9,
        "session": True,
    }
    r = await try_login(client, EMAIL, otp=codes[3])
    assert r.status_code == 401 and r.json()["code"] == "mfa_invalid"
    assert (await try_login(client, EMAIL, otp=codes[4])).status_code == 200


async def test_wrong_codes_count_as_failed_logins(
    client: httpx.AsyncClient, runtime: Runtime, member_id: str
):
    clock = set_clock(runtime)
    secret, _ = await enrol(client, await login(client, "acme", EMAIL), clock)
    runtime.settings.login_max_failures = 3
    for n in range(3):
        r = await try_login(client, EMAIL, otp=f"not-a-recovery-code-{n}")
        assert r.status_code == 401 and r.json()["code"] == "mfa_invalid"
    clock.advance(seconds=30)
    r = await try_login(client, EMAIL, otp=code(secret, clock.now()))
    assert r.status_code == 429 and "locked" in r.json()["detail"]


async def test_wrong_codes_count_against_the_address(
    client: httpx.AsyncClient, runtime: Runtime, member_id: str
):
    clock = set_clock(runtime)
    secret, _ = await enrol(client, await login(client, "acme", EMAIL), clock)
    client._transport.app.state.login_guard = IpGuard(max_failures=2, window_seconds=60)  # type: ignore[attr-defined]
    for otp in ("111111", "222222"):
        assert (await try_login(client, EMAIL, otp=otp)).status_code == 401
    clock.advance(seconds=30)
    assert (await try_login(client, EMAIL, otp=code(secret, clock.now()))).status_code == 429


# -- turning it off ----------------------------------------------------------------------


async def test_disable_takes_a_current_code_or_a_recovery_code(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, member_id: str
):
    clock = set_clock(runtime)
    csrf = await login(client, "acme", EMAIL)
    secret, codes = await enrol(client, csrf, clock)
    r = await client.post("/api/v1/auth/mfa/disable", headers=csrf, json={"code": codes[0] + "x"})
    assert r.status_code == 422
    r = await client.post("/api/v1/auth/mfa/disable", headers=csrf, json={"code": code(secret, T0)})
    assert r.status_code == 422, "the confirming code was used already"
    clock.advance(seconds=30)
    r = await client.post(
        "/api/v1/auth/mfa/disable", headers=csrf, json={"code": code(secret, clock.now())}
    )
    assert r.status_code == 204, r.text
    assert (await client.get("/api/v1/auth/me")).json()["mfa"]["enabled"] is False
    csrf = await login(client, "acme", EMAIL)  # the password alone again
    r = await client.post("/api/v1/auth/mfa/disable", headers=csrf, json={"code": "123456"})
    assert r.status_code == 409
    async with runtime.db.tenant_session(tenant.id) as session:
        assert not list(await session.scalars(select(RecoveryCode)))
        row = await session.get(Member, member_id)
    assert row is not None and row.mfa_secret is None and row.mfa_last_step is None

    clock.advance(seconds=30)
    _, codes = await enrol(client, csrf, clock)
    r = await client.post("/api/v1/auth/mfa/disable", headers=csrf, json={"code": codes[9]})
    assert r.status_code == 204, r.text


async def test_admin_resets_a_members_mfa_and_it_is_logged(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: TenantCtx,
    member_id: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    rendered = capture_log(monkeypatch, service)
    caplog.set_level(logging.DEBUG)
    clock = set_clock(runtime)
    secret, codes = await enrol(client, await login(client, "acme", EMAIL), clock)
    clock.advance(seconds=30)
    assert (await try_login(client, EMAIL, otp=code(secret, clock.now()))).status_code == 200
    assert (await client.get("/api/v1/auth/me")).json()["mfa"]["session"] is True

    agent = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.AGENT)}"}
    assert (
        await client.delete(f"/api/v1/members/{member_id}/mfa", headers=agent)
    ).status_code == 403
    r = await client.delete("/api/v1/members/no-such-member/mfa", headers=tenant.headers)
    assert r.status_code == 404
    r = await client.delete(f"/api/v1/members/{member_id}/mfa", headers=tenant.headers)
    assert r.status_code == 200, r.text
    assert r.json()["mfa_enabled"] is False
    # The member's open session no longer counts as an MFA login; the password alone works.
    assert (await client.get("/api/v1/auth/me")).json()["mfa"]["session"] is False
    async with runtime.db.tenant_session(tenant.id) as session:
        assert await session.scalar(select(MemberSession.mfa_at)) is None
    assert (await try_login(client, EMAIL)).status_code == 200

    logs = rendered.getvalue()
    assert '"event": "mfa_reset"' in logs and member_id in logs
    keys = (await client.get("/api/v1/api-keys", headers=tenant.headers)).json()
    assert any(f'"by_key": "{k["id"]}"' in logs for k in keys)  # who did it
    for text in (logs, caplog.text):
        assert secret not in text
        assert not any(c in text for c in codes)
