"""Member login and logout, with lockout per account (in the database) and per client IP.

Password checks run outside any write transaction: Argon2 takes tens of milliseconds and the
SQLite write lock must not wait on it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update

from frontdesk.core.auth import hash_secret
from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database
from frontdesk.core.errors import NotFound, RateLimited, Unauthorized
from frontdesk.core.sessions import new_session_token
from frontdesk.login.passwords import ahash_password, averify_password, needs_rehash
from frontdesk.settings import Settings
from frontdesk.tenants.models import Member, MemberSession, Tenant

WRONG = "Wrong tenant, e-mail or password"


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


async def login(
    db: Database, settings: Settings, guard: IpGuard, slug: str, email: str, password: str, ip: str
) -> LoggedIn:
    """Check a member's password and open a session, or raise (same error for every miss)."""
    guard.check(ip)
    found = await _find_member(db, slug, email)
    member = found[1] if found else None
    now = utcnow()
    if member is not None and member.locked_until is not None and member.locked_until > now:
        raise RateLimited(
            retry_after=(member.locked_until - now).total_seconds(),
            detail="This account is locked after repeated failed logins; try again later",
        )
    if not await averify_password(member.password_hash if member else None, password):
        guard.fail(ip)
        if member is not None:
            await _record_failure(db, settings, member)
        raise Unauthorized(WRONG)
    assert found is not None and member is not None
    rehash = await ahash_password(password) if needs_rehash(str(member.password_hash)) else None
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
            )
        )
    return LoggedIn(member, found[0], token)


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
        member = await session.scalar(
            select(Member).where(Member.tenant_id == tenant_id, Member.id == member_id)
        )
        if member is None:
            raise NotFound("No such member")
        member.password_hash = digest
        member.failed_logins = 0
        member.locked_until = None
        await session.execute(delete(MemberSession).where(MemberSession.member_id == member_id))
    return member


async def prune_sessions(db: Database) -> int:
    """Delete expired sessions; return how many."""
    async with db.system_tx() as session:
        result = await session.execute(
            delete(MemberSession).where(MemberSession.expires_at <= utcnow())
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
