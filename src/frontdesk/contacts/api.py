"""Contact routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from frontdesk.contacts import service
from frontdesk.contacts.schemas import (
    ContactDetail,
    ContactMerge,
    ContactPublic,
    ContactUpdate,
    IdentityPublic,
)
from frontdesk.core.auth import Principal
from frontdesk.core.deps import SessionDep, require

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])
Reader = Annotated[Principal, Depends(require("contacts:read"))]
Writer = Annotated[Principal, Depends(require("contacts:write"))]


async def _detail(session: SessionDep, tenant_id: str, contact_id: str) -> ContactDetail:
    contact = await service.get_contact(session, tenant_id, contact_id)
    ids = await service.identities(session, tenant_id, contact_id)
    return ContactDetail(
        **ContactPublic.model_validate(contact).model_dump(),
        identities=[IdentityPublic.model_validate(i) for i in ids],
    )


@router.get("", response_model=list[ContactPublic])
async def list_contacts(
    session: SessionDep,
    principal: Reader,
    q: str | None = None,
    vip: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[object]:
    """List contacts, optionally searching name, e-mail and phone."""
    return list(
        await service.list_contacts(
            session, principal.tenant_id, q=q, vip=vip, limit=limit, offset=offset
        )
    )


@router.get("/{contact_id}", response_model=ContactDetail)
async def get_contact(contact_id: str, session: SessionDep, principal: Reader) -> ContactDetail:
    """Read a contact with its channel identities."""
    return await _detail(session, principal.tenant_id, contact_id)


@router.patch("/{contact_id}", response_model=ContactDetail)
async def update_contact(
    contact_id: str, data: ContactUpdate, session: SessionDep, principal: Writer
) -> ContactDetail:
    """Change a contact."""
    await service.update_contact(session, principal.tenant_id, contact_id, data)
    return await _detail(session, principal.tenant_id, contact_id)


@router.post("/{contact_id}/merge", response_model=ContactDetail)
async def merge_contact(
    contact_id: str, body: ContactMerge, session: SessionDep, principal: Writer
) -> ContactDetail:
    """Merge another contact into this one (identities and conversations move over)."""
    await service.merge_contacts(session, principal.tenant_id, contact_id, body.other_id)
    return await _detail(session, principal.tenant_id, contact_id)
