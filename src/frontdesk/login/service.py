"""Member login and logout, with lockout per account and per client IP, and the second factor.

The second factor is a TOTP or a recovery code (:mod:`frontdesk.login.mfa`). Password checks
run outside any write transaction: Argon2 takes tens of milliseconds and the SQLite write lock
must not wait on it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.auth import hash_secret
from frontdesk.core.clock import utcnow
from frontdesk.core.crypto import KeyRing
from frontdesk.core.db import Database
from frontdesk.core.errors import Conflict, RateLimited, Unauthorized, ValidationFailed
from frontdesk.core.logging import get_logger
from frontdesk.core.sessions import new_session_token
from frontdesk.login import mfa
from frontdesk.login.models import RecoveryCode
from frontdesk.login.passwords import ahash_password, averify_password, needs_rehash
from frontdesk.settings import Settings
from frontdesk.tenants.models import Member, MemberSession, Tenant
from frontdesk.tenants.service import get_member

WRONG = "Wrong tenant, e-mail or password"
WRONG_CODE = "Wrong or already used code"
log = get_logger("frontdesk.login")


class MfaRequired(Unauthorized):
    """The password was right, but this member also needs a one-time code to log in."""

    code, title = "mfa_required", "Second factor required"


class MfaInvalid(Unauthorized):
    """The one-time code given at login is wrong, too old, or was used already."""

    code, title = "mfa_invalid", "Wrong one-time code"


class IpGuard:
    """Counts failed logins per client IP in a sliding window (in process)."""

    def __init__(self, max_failures: int, window_seconds: float, max_keys: int = 50_000) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._failures: OrderedDict[str, list[float]] = OrderedDict()
        self._max_keys = max_keys

    def _recent(self, ip: str, now: float) -> list[float]:
        stamps = [t for t in self._failures.get(ip, []) if now - t < self._window]
        if stamps:
            self._failures[ip] = stamps
        else:
            self._failures.pop(ip, None)
        return stamps

    def check(self, ip: str, now: float | None = None) -> None:
        """Raise :class:`RateLimited` while ``ip`` has too many recent failures."""
        now = time.monotonic() if now is None else now
        stamps = self._recent(ip, now)
        if len(stamps) >= self._max:
            raise RateLimited(
                retry_after=self._window - (now - stamps[0]),
                detail="Too many failed logins from this address; try again later",
            )

    def fail(self, ip: str, now: float | None = None) -> None:
        """Record one failed login from ``ip``."""
        now = time.monotonic() if now is None else now
        self._failures[ip] = [*self._recent(ip, now), now]
        self._failures.move_to_end(ip)
        if len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)


@dataclass(frozen=True, slots=True)
class LoggedIn:
    """A new session: the member and the cookie token (shown only this once)."""

    member: Member
    tenant: Tenant
    token: str


async def _find_member(db: Database, slug: str, email: str) -> tuple[Tenant, Member] | None:
    async with db.system_session() as session:
        row = (
            await session.execute(
                select(Tenant, Member)
                .join(Member, Member.tenant_id == Tenant.id)
                .where(Tenant.slug == slug.strip().lower(), Member.email == email.strip().lower())
            )
        ).first()
    return None if row is None else (row[0], row[1])


@dataclass(frozen=True, slots=True)
class Attempt:
    """One login attempt: credentials, the optional one-time code, where and when it came."""

    slug: str
    email: str
    password: str
    ip: str
    otp: str | None = None
    now: datetime | None = None
    """The time one-time codes are checked against (default: now)."""


def _check_lock(member: Member | None) -> None:
    now = utcnow()
    if member is not None and member.locked_until is not None and member.locked_until > now:
        raise RateLimited(
            retry_after=(member.locked_until - now).total_seconds(),
            detail="This account is locked after repeated failed logins; try again later",
        )


async def login(
    db: Database, settings: Settings, keyring: KeyRing, guard: IpGuard, attempt: Attempt
) -> LoggedIn:
    """Check a member's password (and second factor, when on) and open a session, or raise.

    Every wrong password is the same error; only after the right one does a member with MFA
    learn that a code is needed (:class:`MfaRequired`). A wrong code counts as a failed login.
    """
    ip = attempt.ip
    guard.check(ip)
    found = await _find_member(db, attempt.slug, attempt.email)
    member = found[1] if found else None
    _check_lock(member)
    if not await averify_password(member.password_hash if member else None, attempt.password):
        guard.fail(ip)
        if member is not None:
            await _record_failure(db, settings, member)
        raise Unauthorized(WRONG)
    assert found is not None and member is not None
    mfa_at = await _second_factor(db, settings, keyring, guard, member, attempt)
    now = utcnow()
    rehash = (
        await ahash_password(attempt.password) if needs_rehash(str(member.password_hash)) else None
    )
    token, digest = new_session_token()
    async with db.tenant_tx(member.tenant_id) as session:
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
        if rehash:
            values["password_hash"] = rehash
        await session.execute(update(Member).where(Member.id == member.id).values(**values))
        session.add(
            MemberSession(
                tenant_id=member.tenant_id,
                member_id=member.id,
                token_hash=digest,
                expires_at=now + timedelta(hours=settings.session_hours),
                client_ip=ip[:64],
                mfa_at=mfa_at,
            )
        )
    return LoggedIn(member, found[0], token)


async def _second_factor(
    db: Database,
    settings: Settings,
    keyring: KeyRing,
    guard: IpGuard,
    member: Member,
    attempt: Attempt,
) -> datetime | None:
    """When the member has MFA on: check the attempt's code, and return when it was given."""
    if not member.mfa_enabled:
        return None
    if not attempt.otp:
        raise MfaRequired("Enter the code from your authenticator app, or a recovery code")
    now = attempt.now or utcnow()
    async with db.tenant_tx(member.tenant_id) as session:
        accepted = await _accept_code(session, keyring, member, attempt.otp, now)
    if not accepted:
        guard.fail(attempt.ip)
        await _record_failure(db, settings, member)
        raise MfaInvalid(WRONG_CODE)
    return now


def _aad(member_id: str) -> bytes:
    return f"member-mfa:{member_id}".encode()


def _rowcount(result: object) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


async def _accept_code(
    session: AsyncSession, keyring: KeyRing, member: Member, code: str, now: datetime
) -> bool:
    """Consume ``code`` (a TOTP of a step not used yet, or an unused recovery code)."""
    if member.mfa_secret is None:
        return False
    if not mfa.is_totp_code(code):
        used = await session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.member_id == member.id,
                RecoveryCode.code_hash == mfa.recovery_hash(code),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return _rowcount(used) == 1
    secret = await keyring.decrypt(session, member.tenant_id, member.mfa_secret, _aad(member.id))
    step = mfa.match_step(secret.decode(), code, now, member.mfa_last_step)
    if step is None:
        return False
    # Conditional, so two logins racing with one code cannot both win.
    moved = await session.execute(
        update(Member)
        .where(
            Member.id == member.id,
            or_(Member.mfa_last_step.is_(None), Member.mfa_last_step < step),
        )
        .values(mfa_last_step=step)
    )
    return _rowcount(moved) == 1


async def _record_failure(db: Database, settings: Settings, member: Member) -> None:
    async with db.tenant_tx(member.tenant_id) as session:
        row = await session.get(Member, member.id)
        if row is None:
            return
        row.failed_logins += 1
        if row.failed_logins >= settings.login_max_failures:
            row.failed_logins = 0
            row.locked_until = utcnow() + timedelta(minutes=settings.login_lockout_minutes)


async def logout(db: Database, tenant_id: str, token: str) -> None:
    """End the session whose cookie token is ``token``."""
    async with db.tenant_tx(tenant_id) as session:
        await session.execute(
            delete(MemberSession).where(MemberSession.token_hash == hash_secret(token))
        )


async def set_password(db: Database, tenant_id: str, member_id: str, password: str) -> Member:
    """Give a member a new password and end their open sessions."""
    digest = await ahash_password(password)
    async with db.tenant_tx(tenant_id) as session:
        member = await get_member(session, tenant_id, member_id)
        member.password_hash = digest
        member.failed_logins = 0
        member.locked_until = None
        await session.execute(delete(MemberSession).where(MemberSession.member_id == member_id))
    return member


@dataclass(frozen=True, slots=True)
class MfaSetup:
    """A pending TOTP secret, shown once: the text, the provisioning URI and its QR code."""

    secret: str
    uri: str
    qr_svg: str


@dataclass(frozen=True, slots=True)
class MfaStatus:
    """A member's second factor: on or not, set up but unconfirmed, recovery codes left."""

    enabled: bool
    pending: bool
    recovery_codes_left: int


async def mfa_status(session: AsyncSession, member: Member) -> MfaStatus:
    """The member's MFA status (no secret in it)."""
    left = await session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.member_id == member.id, RecoveryCode.used_at.is_(None))
    )
    return MfaStatus(member.mfa_enabled, member.mfa_pending is not None, int(left or 0))


async def setup_mfa(
    db: Database, keyring: KeyRing, tenant_id: str, member_id: str, tenant_slug: str
) -> MfaSetup:
    """Give the member a new pending TOTP secret (encrypted at rest) to load into an app."""
    secret = mfa.new_secret()
    async with db.tenant_tx(tenant_id) as session:
        member = await get_member(session, tenant_id, member_id)
        if member.mfa_enabled:
            raise Conflict("MFA is already on; turn it off first to set up a new authenticator")
        member.mfa_pending = await keyring.encrypt(
            session, tenant_id, secret.encode(), _aad(member_id)
        )
        email = member.email
    log.info("mfa_setup_started", member_id=member_id)
    uri = mfa.provisioning_uri(secret, email, tenant_slug)
    return MfaSetup(secret, uri, mfa.qr_svg_data_uri(uri))


async def confirm_mfa(
    db: Database, keyring: KeyRing, tenant_id: str, member_id: str, code: str, now: datetime
) -> list[str]:
    """Turn MFA on once ``code`` proves the app has the pending secret; new recovery codes."""
    codes = mfa.new_recovery_codes()
    async with db.tenant_tx(tenant_id) as session:
        member = await get_member(session, tenant_id, member_id)
        if member.mfa_enabled:
            raise Conflict("MFA is already on")
        if member.mfa_pending is None:
            raise Conflict("Set up MFA first: there is no authenticator to confirm")
        secret = await keyring.decrypt(session, tenant_id, member.mfa_pending, _aad(member_id))
        step = mfa.match_step(secret.decode(), code, now, None)
        if step is None:
            raise ValidationFailed(
                "The code does not match; check the app shows this account and its clock is right"
            )
        member.mfa_secret, member.mfa_pending = member.mfa_pending, None
        member.mfa_enabled_at, member.mfa_last_step = now, step
        await session.execute(delete(RecoveryCode).where(RecoveryCode.member_id == member_id))
        session.add_all(
            RecoveryCode(tenant_id=tenant_id, member_id=member_id, code_hash=mfa.recovery_hash(c))
            for c in codes
        )
    log.info("mfa_enabled", member_id=member_id)
    return codes


async def disable_mfa(
    db: Database,
    settings: Settings,
    keyring: KeyRing,
    tenant_id: str,
    member_id: str,
    code: str,
    now: datetime,
) -> None:
    """Turn the member's MFA off, given a current code or a recovery code."""
    async with db.tenant_tx(tenant_id) as session:
        member = await get_member(session, tenant_id, member_id)
        _check_lock(member)
        if not member.mfa_enabled:
            raise Conflict("MFA is not on")
        accepted = await _accept_code(session, keyring, member, code, now)
        if accepted:
            await _clear_mfa(session, member)
    if not accepted:
        await _record_failure(db, settings, member)
        raise ValidationFailed(WRONG_CODE)
    log.info("mfa_disabled", member_id=member_id)


async def reset_mfa(db: Database, tenant_id: str, member_id: str, by: dict[str, Any]) -> Member:
    """An admin turns a member's MFA off (a lost phone); the member sets it up again."""
    async with db.tenant_tx(tenant_id) as session:
        member = await get_member(session, tenant_id, member_id)
        was_on = member.mfa_enabled
        await _clear_mfa(session, member)
    log.warning("mfa_reset", member_id=member_id, was_enabled=was_on, **by)
    return member


async def _clear_mfa(session: AsyncSession, member: Member) -> None:
    member.mfa_secret = member.mfa_pending = None
    member.mfa_enabled_at = None
    member.mfa_last_step = None
    await session.execute(delete(RecoveryCode).where(RecoveryCode.member_id == member.id))
    # Its sessions no longer count as having given a second factor.
    await session.execute(
        update(MemberSession).where(MemberSession.member_id == member.id).values(mfa_at=None)
    )


async def prune_sessions(db: Database) -> int:
    """Delete expired sessions; return how many."""
    async with db.system_tx() as session:
        result = await session.execute(
            delete(MemberSession).where(MemberSession.expires_at <= utcnow())
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
