"""FastAPI dependency aliases, so routes read as plain signatures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.auth import Principal
from frontdesk.core.errors import Forbidden, Unauthorized
from frontdesk.core.sessions import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, check_csrf
from frontdesk.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    """The process runtime attached to the app."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def bearer_token(request: Request) -> str:
    """The token of an ``Authorization: Bearer …`` header, or :class:`Unauthorized`."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Missing bearer token")
    return token.strip()


async def get_principal(request: Request, runtime: RuntimeDep) -> Principal:
    """Authenticate the ``Authorization`` API key, or else the console session cookie.

    Cookie-authenticated writes must also carry the CSRF header.
    """
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and not request.headers.get("authorization"):
        principal = await runtime.sessions.authenticate(cookie)
        if request.method not in SAFE_METHODS:
            check_csrf(cookie, request.headers.get(CSRF_HEADER))
        return principal
    return await runtime.auth.authenticate(await bearer_token(request))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(permission: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that lets only principals whose role grants ``permission`` through."""

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.can(permission):
            raise Forbidden(f"Role {principal.role.value!r} lacks {permission!r}")
        return principal

    return check


async def tenant_session(
    principal: PrincipalDep, runtime: RuntimeDep
) -> AsyncIterator[AsyncSession]:
    """A session scoped (and, on PostgreSQL, walled by RLS) to the principal's tenant."""
    async with runtime.db.tenant_session(principal.tenant_id) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(tenant_session)]


async def snapshot_session(
    principal: PrincipalDep, runtime: RuntimeDep
) -> AsyncIterator[AsyncSession]:
    """A read-only tenant session whose queries all see one snapshot of the database."""
    async with runtime.db.tenant_session(principal.tenant_id) as session:
        await runtime.db.snapshot(session)
        yield session


SnapshotDep = Annotated[AsyncSession, Depends(snapshot_session)]
"""For pages read in several queries (a row and its children) that must agree with each other."""
