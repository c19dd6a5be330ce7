"""Builders for the MFA tests: a settable clock on the runtime, enrolment, logins with codes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pyotp

from frontdesk.runtime import Runtime
from tests.vault.helpers import FakeClock

PASSWORD = "correct-horse-1"
# The middle of a 30-second step, so "one step earlier / later" is unambiguous.
T0 = datetime(2026, 11, 22, 12, 0, 15, tzinfo=UTC)


def set_clock(runtime: Runtime) -> FakeClock:
    """Give the runtime a clock that moves only when the test says."""
    clock = FakeClock(T0)
    runtime.clock = clock
    return clock


def code(secret: str, at: datetime) -> str:
    """The authenticator app's code at ``at``."""
    return pyotp.TOTP(secret).at(at)


async def enrol(
    client: httpx.AsyncClient, csrf: dict[str, str], clock: FakeClock
) -> tuple[str, list[str]]:
    """Set up and confirm MFA for the logged-in member; return (secret, recovery codes)."""
    r = await client.post("/api/v1/auth/mfa/setup", headers=csrf)
    assert r.status_code == 200, r.text
    secret = str(r.json()["secret"])
    r = await client.post(
        "/api/v1/auth/mfa/confirm", headers=csrf, json={"code": code(secret, clock.now())}
    )
    assert r.status_code == 200, r.text
    return secret, list(r.json()["recovery_codes"])


async def try_login(
    client: httpx.AsyncClient, email: str, otp: str | None = None, password: str = PASSWORD
) -> httpx.Response:
    """POST a login (tenant "acme"), with a one-time code when given."""
    body: dict[str, Any] = {"tenant": "acme", "email": email, "password": password}
    if otp is not None:
        body["otp"] = otp
    return await client.post("/api/v1/auth/login", json=body)
