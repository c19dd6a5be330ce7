"""Console login: session cookie in, session cookie out, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from frontdesk.core.auth import PERMISSIONS, Principal
from frontdesk.core.deps import PrincipalDep, RuntimeDep, SessionDep, require
from frontdesk.core.sessions import CSRF_COOKIE, SESSION_COOKIE, csrf_token
from frontdesk.login import service
from frontdesk.login.schemas import LoginIn, Me, MeMember, MeTenant, PasswordSet
from frontdesk.settings import Settings
from frontdesk.tenants.models import Member
from frontdesk.tenants.schemas import MemberPublic

router = APIRouter(prefix="/api/v1", tags=["auth"])


def _guard(request: Request) -> service.IpGuard:
    guard: service.IpGuard = request.app.state.login_guard
    return guard


def _set_cookies(response: Response, settings: Settings, token: str) -> None:
    age = int(settings.session_hours * 3600)
    common = {"max_age": age, "path": "/", "secure": settings.cookie_secure, "samesite": "lax"}
    response.set_cookie(SESSION_COOKIE, token, httponly=True, **common)  # type: ignore[arg-type]
    response.set_cookie(CSRF_COOKIE, csrf_token(token), httponly=False, **common)  # type: ignore[arg-type]


def _me(principal: Principal, member: Member | None, csrf: str | None = None) -> Me:
    return Me(
        member=MeMember.model_validate(member) if member else None,
        tenant=MeTenant(id=principal.tenant_id, slug=principal.tenant_slug),
        role=principal.role,
        permissions=sorted(PERMISSIONS[principal.role]),
        csrf_token=csrf,
    )


@router.post("/auth/login", response_model=Me)
async def login(
    data: LoginIn,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    guard: Annotated[service.IpGuard, Depends(_guard)],
) -> Me:
    """Log a member in: sets the HttpOnly session cookie and the CSRF cookie."""
    ip = request.client.host if request.client else "unknown"
    done = await service.login(
        runtime.db, runtime.settings, guard, data.tenant, data.email, data.password, ip
    )
    _set_cookies(response, runtime.settings, done.token)
    principal = await runtime.sessions.authenticate(done.token)
    return _me(principal, done.member, csrf_token(done.token))


@router.post("/auth/logout", status_code=204)
async def logout(request: Request, principal: PrincipalDep, runtime: RuntimeDep) -> Response:
    """End the console session (a no-op for API keys) and clear its cookies."""
    token = request.cookies.get(SESSION_COOKIE)
    if principal.member_id and token:
        await service.logout(runtime.db, principal.tenant_id, token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/auth/me", response_model=Me)
async def me(request: Request, principal: PrincipalDep, session: SessionDep) -> Me:
    """The caller: member (if logged in), tenant, role and the permissions it grants."""
    member = await session.get(Member, principal.member_id) if principal.member_id else None
    token = request.cookies.get(SESSION_COOKIE)
    return _me(principal, member, csrf_token(token) if member and token else None)


@router.put("/members/{member_id}/password", response_model=MemberPublic)
async def set_password(
    member_id: str,
    data: PasswordSet,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require("members:write"))],
) -> object:
    """Set a member's password (ends that member's open sessions)."""
    return await service.set_password(runtime.db, principal.tenant_id, member_id, data.password)
