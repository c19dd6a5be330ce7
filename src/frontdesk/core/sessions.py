"""Console sessions: a cookie token resolves to a member's principal; CSRF by double submit.

The cookie ``fd_session`` (HttpOnly) carries a random token whose SHA-256 hash is the session
row's key. The CSRF token is derived from the session token, sent in the readable cookie
``fd_csrf``, and must come back in the ``X-CSRF-Token`` header of every cookie-authenticated
write: a cross-site form can send the cookies but cannot read them to set the header.
"""

from __future__ import annotations

import hmac
import secrets

from sqlalchemy import select

from frontdesk.core.auth import Principal, Role, hash_secret
from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database
from frontdesk.core.errors import CsrfFailed, SessionExpired
from frontdesk.tenants.models import Member, MemberSession, Tenant

SESSION_COOKIE = "fd_session"
CSRF_COOKIE = "fd_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_session_token() -> tuple[str, str]:
    """Return ``(token, hash)`` for a new console session."""
    token = secrets.token_urlsafe(32)
    return token, hash_secret(token)


def csrf_token(session_token: str) -> str:
    """The CSRF token bound to a session token (derived, so nothing more is stored)."""
    return hash_secret(f"csrf:{session_token}")[:43]


def check_csrf(session_token: str, header: str | None) -> None:
    """Raise :class:`CsrfFailed` unless ``header`` is the session's CSRF token."""
    if not header or not hmac.compare_digest(header, csrf_token(session_token)):
        raise CsrfFailed("Missing or wrong X-CSRF-Token header")


class SessionAuthenticator:
    """Resolves console session tokens to principals.

    One indexed read per request and no cache, so a logout or a removed member takes effect at
    once in every process.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def authenticate(self, token: str) -> Principal:
        """The member principal of a live session, or :class:`SessionExpired`."""
        async with self._db.system_session() as session:
            row = (
                await session.execute(
                    select(MemberSession, Member.role, Tenant.slug)
                    .join(Member, Member.id == MemberSession.member_id)
                    .join(Tenant, Tenant.id == MemberSession.tenant_id)
                    .where(MemberSession.token_hash == hash_secret(token))
                )
            ).first()
        if row is None:
            raise SessionExpired("Not logged in, or the session ended")
        member_session, role, slug = row
        if member_session.expires_at <= utcnow():
            raise SessionExpired("The session expired; log in again")
        return Principal(
            member_session.tenant_id,
            slug,
            Role(role),
            member_session.id,
            member_id=member_session.member_id,
            mfa=member_session.mfa_at is not None,
        )
