"""Contacts: lookup by channel identity, list, update, merge."""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact, ContactIdentity
from frontdesk.contacts.schemas import ContactUpdate
from frontdesk.conversations.models import Conversation
from frontdesk.core.db import flush
from frontdesk.core.errors import Conflict, NotFound
from frontdesk.core.ids import new_id
from frontdesk.core.outbox import publish

_BY_IDENTITY = (  # built once: it runs for every first message of a thread
    select(Contact)
    .join(ContactIdentity, ContactIdentity.contact_id == Contact.id)
    .where(
        ContactIdentity.tenant_id == bindparam("tenant_id"),
        ContactIdentity.channel_type == bindparam("channel_type"),
        ContactIdentity.external_id == bindparam("external_id"),
    )
)


async def contact_for_identity(
    session: AsyncSession, tenant_id: str, channel_type: str, external_id: str
) -> Contact:
    """The contact known by ``external_id`` on ``channel_type``, created on first sight.

    A staging session stages the new rows (see :class:`frontdesk.core.db.Staged`).
    """
    params = {"tenant_id": tenant_id, "channel_type": channel_type, "external_id": external_id}
    row = await session.scalar(_BY_IDENTITY, params)
    if row is not None:
        return row
    contact = Contact(id=new_id(), tenant_id=tenant_id, attributes={})
    session.add(contact)
    session.add(
        ContactIdentity(
            tenant_id=tenant_id,
            contact_id=contact.id,
            channel_type=channel_type,
            external_id=external_id,
        )
    )
    await flush(session)
    return contact


async def list_contacts(
    session: AsyncSession,
    tenant_id: str,
    *,
    q: str | None = None,
    vip: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Contact]:
    """A tenant's contacts (merged-away ones excluded), newest first."""
    stmt = select(Contact).where(Contact.tenant_id == tenant_id, Contact.merged_into_id.is_(None))
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(Contact.name.ilike(like), Contact.email.ilike(like), Contact.phone.ilike(like))
        )
    if vip is not None:
        stmt = stmt.where(Contact.vip.is_(vip))
    stmt = stmt.order_by(Contact.id.desc()).limit(limit).offset(offset)
    return list((await session.scalars(stmt)).all())


async def get_contact(session: AsyncSession, tenant_id: str, contact_id: str) -> Contact:
    """One contact of the tenant, or :class:`NotFound`."""
    contact = await session.scalar(
        select(Contact).where(Contact.tenant_id == tenant_id, Contact.id == contact_id)
    )
    if contact is None:
        raise NotFound("No such contact")
    return contact


async def identities(
    session: AsyncSession, tenant_id: str, contact_id: str
) -> list[ContactIdentity]:
    """A contact's channel identities."""
    return list(
        (
            await session.scalars(
                select(ContactIdentity).where(
                    ContactIdentity.tenant_id == tenant_id, ContactIdentity.contact_id == contact_id
                )
            )
        ).all()
    )


async def update_contact(
    session: AsyncSession, tenant_id: str, contact_id: str, data: ContactUpdate
) -> Contact:
    """Apply a partial change and commit."""
    contact = await get_contact(session, tenant_id, contact_id)
    for key, value in data.model_dump(exclude_unset=True).items():
        setattr(contact, key, str(value) if key == "email" and value else value)
    await session.commit()
    return contact


async def merge_contacts(
    session: AsyncSession, tenant_id: str, keep_id: str, other_id: str
) -> Contact:
    """Move ``other``'s identities and conversations to ``keep`` and mark ``other`` merged."""
    keep = await get_contact(session, tenant_id, keep_id)
    other = await get_contact(session, tenant_id, other_id)
    if keep.id == other.id:
        raise Conflict("A contact cannot be merged into itself")
    if keep.merged_into_id or other.merged_into_id:
        raise Conflict("One of the contacts was already merged")
    for table in (ContactIdentity, Conversation):
        await session.execute(
            update(table)
            .where(table.tenant_id == tenant_id, table.contact_id == other.id)
            .values(contact_id=keep.id)
        )
    for field in ("name", "email", "phone", "language"):
        if getattr(keep, field) is None:
            setattr(keep, field, getattr(other, field))
    keep.vip = keep.vip or other.vip
    keep.attributes = {**other.attributes, **keep.attributes}
    other.merged_into_id = keep.id
    await publish(session, tenant_id, "contact.merged", {"kept": keep.id, "merged": other.id})
    await session.commit()
    return keep


async def names(session: AsyncSession, tenant_id: str, ids: list[str]) -> dict[str, str | None]:
    """The display names of some of the tenant's contacts, by id."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Contact.id, Contact.name).where(Contact.tenant_id == tenant_id, Contact.id.in_(ids))
    )
    return {contact_id: name for contact_id, name in rows.all()}
