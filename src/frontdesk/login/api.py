"""Console login: session cookie in, session cookie out, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.auth import PERMISSIONS, Principal
from frontdesk.core.deps import PrincipalDep, RuntimeDep, SessionDep, require
from frontdesk.core.errors import Forbidden
from frontdesk.core.sessions import CSRF_COOKIE, SESSION_COOKIE, csrf_token
from frontdesk.login import service
from frontdesk.login.schemas import (
    LoginIn,
    Me,
    MeMember,
    MeMfa,
    MeTenant,
    MfaCode,
    MfaRecoveryCodes,
    MfaSetupOut,
    PasswordSet,
)
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


async def _me(
    session: AsyncSession, principal: Principal, member: Member | None, csrf: str | None = None
) -> Me:
    mfa = None
    if member is not None:
        status = await service.mfa_status(session, member)
        mfa = MeMfa(
            enabled=status.enabled,
            pending=status.pending,
            recovery_codes_left=status.recovery_codes_left,
            session=principal.mfa,
        )
    return Me(
        member=MeMember.model_validate(member) if member else None,
        tenant=MeTenant(id=principal.tenant_id, slug=principal.tenant_slug),
        role=principal.role,
        permissions=sorted(PERMISSIONS[principal.role]),
        csrf_token=csrf,
        mfa=mfa,
    )


def _member_id(principal: Principal) -> str:
    if principal.member_id is None:
        raise Forbidden("MFA belongs to a member's console login; an API key has none")
    return principal.member_id


@router.post("/auth/login", response_model=Me)
async def login(
    data: LoginIn,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    guard: Annotated[service.IpGuard, Depends(_guard)],
) -> Me:
    """Log a member in: sets the HttpOnly session cookie and the CSRF cookie.

    A member with MFA on also gives ``otp``; without it, the right password is answered with
    401 ``mfa_required`` (a wrong one, as always, with the same 401 ``unauthorized``).
    """
    ip = request.client.host if request.client else "unknown"
    attempt = service.Attempt(
        data.tenant, data.email, data.password, ip, data.otp, runtime.clock.now()
    )
    done = await service.login(runtime.db, runtime.settings, runtime.keyring, guard, attempt)
    _set_cookies(response, runtime.settings, done.token)
    principal = await runtime.sessions.authenticate(done.token)
    async with runtime.db.tenant_session(principal.tenant_id) as session:
        return await _me(session, principal, done.member, csrf_token(done.token))


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
    return await _me(session, principal, member, csrf_token(token) if member and token else None)


@router.post("/auth/mfa/setup", response_model=MfaSetupOut)
async def mfa_setup(principal: PrincipalDep, runtime: RuntimeDep) -> MfaSetupOut:
    """Start setting up the caller's authenticator app: a new secret, shown only this once."""
    done = await service.setup_mfa(
        runtime.db,
        runtime.keyring,
        principal.tenant_id,
        _member_id(principal),
        principal.tenant_slug,
    )
    return MfaSetupOut(secret=done.secret, otpauth_uri=done.uri, qr_svg=done.qr_svg)


@router.post("/auth/mfa/confirm", response_model=MfaRecoveryCodes)
async def mfa_confirm(data: MfaCode, principal: PrincipalDep, runtime: RuntimeDep) -> object:
    """Turn MFA on with a code from the app; returns ten recovery codes, shown only this once.

    The current login stays password-only: log in again with a code to act as an MFA login.
    """
    codes = await service.confirm_mfa(
        runtime.db,
        runtime.keyring,
        principal.tenant_id,
        _member_id(principal),
        data.code,
        runtime.clock.now(),
    )
    return MfaRecoveryCodes(recovery_codes=codes)


@router.post("/auth/mfa/disable", status_code=204)
async def mfa_disable(data: MfaCode, principal: PrincipalDep, runtime: RuntimeDep) -> Response:
    """Turn the caller's MFA off, given a current code or a recovery code."""
    await service.disable_mfa(
        runtime.db,
        runtime.settings,
        runtime.keyring,
        principal.tenant_id,
        _member_id(principal),
        data.code,
        runtime.clock.now(),
    )
    return Response(status_code=204)


@router.put("/members/{member_id}/password", response_model=MemberPublic)
async def set_password(
    member_id: str,
    data: PasswordSet,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require("members:write"))],
) -> object:
    """Set a member's password (ends that member's open sessions)."""
    return await service.set_password(runtime.db, principal.tenant_id, member_id, data.password)


@router.delete("/members/{member_id}/mfa", response_model=MemberPublic)
async def reset_mfa(
    member_id: str,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require("members:write"))],
) -> object:
    """Turn a member's MFA off (a lost phone): they log in with the password and set it up anew."""
    by = {
        "by_member": principal.member_id,
        "by_key": None if principal.member_id else principal.key_id,
    }
    return await service.reset_mfa(runtime.db, principal.tenant_id, member_id, by)
