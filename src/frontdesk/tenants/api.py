"""Routes for the caller's own tenant, its members and API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from frontdesk.core.auth import Principal, Role
from frontdesk.core.deps import RuntimeDep, SessionDep, require
from frontdesk.core.errors import Forbidden
from frontdesk.tenants import service
from frontdesk.tenants.cache import TenantInfo
from frontdesk.tenants.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    AvailabilityPublic,
    AvailabilityUpdate,
    MemberCreate,
    MemberPublic,
    TeamMember,
    TenantPublic,
    TenantUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["tenant"])


@router.get("/tenant", response_model=TenantPublic)
async def get_tenant(
    session: SessionDep, principal: Annotated[Principal, Depends(require("tenant:read"))]
) -> object:
    """The caller's tenant."""
    return await service.get_tenant(session, principal.tenant_id)


@router.patch("/tenant", response_model=TenantPublic)
async def update_tenant(
    data: TenantUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require("tenant:write"))],
) -> object:
    """Change the caller's tenant name, retention or settings."""
    tenant = await service.update_tenant(session, principal.tenant_id, data)
    runtime.tenants.invalidate(TenantInfo.of(tenant))
    return tenant


@router.get("/members", response_model=list[MemberPublic])
async def list_members(
    session: SessionDep, principal: Annotated[Principal, Depends(require("members:read"))]
) -> list[object]:
    """The tenant's members."""
    return list(await service.list_members(session, principal.tenant_id))


@router.get("/team", response_model=list[TeamMember])
async def list_team(
    session: SessionDep, principal: Annotated[Principal, Depends(require("tenant:read"))]
) -> list[object]:
    """The tenant's members for every role: names, e-mails, roles and availability.

    What an agent needs to assign a task or a conversation to a colleague, and what any page
    needs to say who did something; the full member records stay behind ``members:read``.
    """
    return list(await service.list_members(session, principal.tenant_id))


@router.post("/members", response_model=MemberPublic, status_code=201)
async def create_member(
    data: MemberCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require("members:write"))],
) -> object:
    """Add a member."""
    return await service.create_member(session, principal.tenant_id, data)


@router.put("/members/me/availability", response_model=AvailabilityPublic)
async def set_my_availability(
    data: AvailabilityUpdate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require("conversations:write"))],
) -> object:
    """Mark the calling member available for handed-over conversations, or away."""
    if principal.member_id is None:
        raise Forbidden("Only a logged-in member has an availability")
    return await service.set_availability(
        session, principal.tenant_id, principal.member_id, data.available
    )


@router.delete("/members/{member_id}", status_code=204)
async def delete_member(
    member_id: str,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require("members:write"))],
) -> Response:
    """Remove a member."""
    await service.delete_member(session, principal.tenant_id, member_id)
    return Response(status_code=204)


@router.get("/api-keys", response_model=list[ApiKeyPublic])
async def list_api_keys(
    session: SessionDep, principal: Annotated[Principal, Depends(require("apikeys:read"))]
) -> list[object]:
    """The tenant's API keys, without the keys themselves."""
    return list(await service.list_api_keys(session, principal.tenant_id))


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201)
async def create_api_key(
    data: ApiKeyCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require("apikeys:write"))],
) -> ApiKeyCreated:
    """Create an API key; the response is the only time the key is shown."""
    if data.role == Role.ADMIN and principal.role != Role.ADMIN:
        raise Forbidden("Only an admin can create admin keys")
    row, key = await service.create_api_key(session, principal.tenant_id, data.role, data.name)
    return ApiKeyCreated.model_validate(
        {**ApiKeyPublic.model_validate(row).model_dump(), "key": key}
    )


@router.delete("/api-keys/{key_id}", response_model=ApiKeyPublic)
async def revoke_api_key(
    key_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require("apikeys:write"))],
) -> object:
    """Revoke an API key (it stops working at once in this process)."""
    row = await service.revoke_api_key(session, principal.tenant_id, key_id)
    runtime.auth.forget(row.id)
    return row
