"""Conversation routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.channels.files import signed_path
from frontdesk.channels.outbound import queue_send
from frontdesk.channels.registry import in_app
from frontdesk.channels.service import get_media, list_channels
from frontdesk.contacts import service as contacts
from frontdesk.conversations import language, ownership, service
from frontdesk.conversations.inbox import ANSWERING_ROLES
from frontdesk.conversations.models import Conversation
from frontdesk.conversations.schemas import (
    AgentReply,
    AssignRequest,
    ConversationDetail,
    ConversationPublic,
    ConversationSummary,
    MessagePublic,
)
from frontdesk.core.auth import Principal, Role
from frontdesk.core.db import after_commit
from frontdesk.core.deps import RuntimeDep, SessionDep, SnapshotDep, require
from frontdesk.core.errors import Conflict, Forbidden, ValidationFailed
from frontdesk.intake.webchat import thread_key
from frontdesk.routing import service as routing
from frontdesk.routing.schemas import DecisionPublic
from frontdesk.runtime import Runtime
from frontdesk.tenants.service import get_member

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])
Reader = Annotated[Principal, Depends(require("conversations:read"))]
Writer = Annotated[Principal, Depends(require("conversations:write"))]
PREVIEW_CHARS = 160
DECISIONS = 10
Status = Literal["bot", "waiting", "human", "closed"]


def _member(principal: Principal) -> str:
    if principal.member_id is None:
        raise Forbidden("Only a logged-in member can own a conversation")
    return principal.member_id


@asynccontextmanager
async def _owned(
    runtime: Runtime, principal: Principal, conversation_id: str
) -> AsyncIterator[tuple[AsyncSession, Conversation]]:
    """A write transaction on one conversation; live readers wake after it commits."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        conversation = await service.get_conversation(
            session, principal.tenant_id, conversation_id, lock=True
        )
        yield session, conversation
        key = thread_key(conversation.channel_id, conversation.external_thread_id)
        after_commit(session, lambda: runtime.hub.notify(key))
        after_commit(session, runtime.outbox.wake.set)


@router.get("", response_model=list[ConversationSummary])
async def list_conversations(
    session: SessionDep,
    principal: Reader,
    status: Status | None = None,
    needs_human: bool | None = None,
    contact_id: str | None = None,
    assignee_id: str | None = None,
    mine: bool = False,
    unassigned: bool = False,
    channel: Annotated[str | None, Query(description="a channel's id or type")] = None,
    since: Annotated[datetime | None, Query(description="active since (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ConversationSummary]:
    """List conversations with the contact's name and the latest message.

    Filters: status, hand-over flag, contact, owner (``assignee_id``, ``mine``, ``unassigned``),
    channel, activity since. Latest activity first; ``status=waiting`` lists the longest wait
    first, each with its ``waiting_seconds`` and ``escalation_reason``.
    """
    if since is not None and since.tzinfo is None:
        raise ValidationFailed("since needs a time zone (e.g. 2026-01-31T09:00:00Z)")
    owner = _owner_filter(principal, assignee_id, mine, unassigned)
    channel_ids = None
    if channel is not None:
        rows = await list_channels(session, principal.tenant_id)
        channel_ids = [c.id for c in rows if channel in (c.id, c.type)]
    found = await service.list_conversations(
        session,
        principal.tenant_id,
        status=status,
        needs_human=needs_human,
        contact_id=contact_id,
        assignee_id=owner,
        unassigned=unassigned,
        channel_ids=channel_ids,
        since=since,
        limit=limit,
        offset=offset,
    )
    names = await contacts.names(session, principal.tenant_id, [c.contact_id for c in found])
    last = await service.last_messages(session, principal.tenant_id, [c.id for c in found])
    return [
        ConversationSummary.model_validate(c).model_copy(
            update={
                "contact_name": names.get(c.contact_id),
                "last_sender": last[c.id].sender if c.id in last else None,
                "preview": last[c.id].text[:PREVIEW_CHARS] if c.id in last else None,
            }
        )
        for c in found
    ]


def _owner_filter(
    principal: Principal, assignee_id: str | None, mine: bool, unassigned: bool
) -> str | None:
    """The owner to filter on: ``assignee_id``, the caller (``mine``), or none."""
    if sum((assignee_id is not None, mine, unassigned)) > 1:
        raise ValidationFailed("Give only one of assignee_id, mine and unassigned")
    if mine:
        return _member(principal)
    return assignee_id


@router.get("/{conversation_id}", response_model=ConversationDetail)
async def get_conversation(
    conversation_id: str, session: SnapshotDep, principal: Reader
) -> ConversationDetail:
    """Read a conversation with its messages."""
    conversation = await service.get_conversation(session, principal.tenant_id, conversation_id)
    rows = await service.messages(session, principal.tenant_id, conversation_id)
    decisions = await routing.decisions(session, principal.tenant_id, conversation_id, DECISIONS)
    return ConversationDetail(
        **ConversationPublic.model_validate(conversation).model_dump(exclude={"waiting_seconds"}),
        messages=[MessagePublic.model_validate(m) for m in rows],
        decisions=[DecisionPublic.model_validate(d) for d in decisions],
        summary=(conversation.context or {}).get("summary"),
        language=(conversation.context or {}).get("language"),
    )


@router.get("/{conversation_id}/messages", response_model=list[MessagePublic])
async def list_messages(
    conversation_id: str,
    session: SessionDep,
    principal: Reader,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[object]:
    """A conversation's messages, optionally only those after a message id."""
    await service.get_conversation(session, principal.tenant_id, conversation_id)
    return list(
        await service.messages(
            session, principal.tenant_id, conversation_id, after=after, limit=limit
        )
    )


@router.post("/{conversation_id}/claim", response_model=ConversationPublic)
async def claim(conversation_id: str, runtime: RuntimeDep, principal: Writer) -> object:
    """Take the conversation: the bot stays silent while the caller owns it."""
    async with _owned(runtime, principal, conversation_id) as (session, conversation):
        await ownership.claim(session, conversation, _member(principal))
    return conversation


@router.post("/{conversation_id}/assign", response_model=ConversationPublic)
async def assign(
    conversation_id: str, data: AssignRequest, runtime: RuntimeDep, principal: Writer
) -> object:
    """Give the conversation to a member who may answer it.

    An admin assigns anyone of the tenant with an answering role (agent, admin), even from
    another owner; an agent assigns only themself, which is a claim.
    """
    async with _owned(runtime, principal, conversation_id) as (session, conversation):
        if principal.role == Role.ADMIN:
            member = await get_member(session, principal.tenant_id, data.member_id)
            if member.role not in ANSWERING_ROLES:
                raise ValidationFailed(
                    f"A member with role {member.role!r} cannot answer customers"
                )
            await ownership.assign(session, conversation, member.id)
        elif data.member_id == _member(principal):
            await ownership.claim(session, conversation, data.member_id)
        else:
            raise Forbidden("Only an admin can assign a conversation to someone else")
    return conversation


@router.post("/{conversation_id}/reply", response_model=MessagePublic, status_code=201)
async def reply(
    conversation_id: str, data: AgentReply, runtime: RuntimeDep, principal: Writer
) -> object:
    """Send the owner's reply to the customer (web chat: it appears in the live stream).

    With ``translate`` on (the default) and a model configured, a reply to a customer who
    writes in another language is sent in theirs; the reply as written stays in its meta.
    """
    text, translation = data.text, None
    if data.translate:
        text, translation = await language.for_customer(
            runtime, principal.tenant_id, conversation_id, _member(principal), data.text
        )
    async with _owned(runtime, principal, conversation_id) as (session, conversation):
        app_channel = in_app(
            await runtime.channel_type(session, conversation.tenant_id, conversation.channel_id)
        )
        content = await _attached(runtime, session, principal.tenant_id, data.media_id, app_channel)
        message = await ownership.reply(
            session,
            conversation,
            _member(principal),
            text,
            in_app=app_channel,
            content=content,
            translation=translation,
        )
        if not app_channel:  # the provider delivers it: a send job in the same commit
            await queue_send(runtime, session, principal.tenant_id, conversation.id, message.id)
    return message


@router.post("/{conversation_id}/hand-back", response_model=ConversationPublic)
async def hand_back(conversation_id: str, runtime: RuntimeDep, principal: Writer) -> object:
    """Give the caller's conversation back to the bot."""
    async with _owned(runtime, principal, conversation_id) as (session, conversation):
        await ownership.hand_back(session, conversation, _member(principal))
    return conversation


@router.post("/{conversation_id}/close", response_model=ConversationPublic)
async def close(conversation_id: str, runtime: RuntimeDep, principal: Writer) -> object:
    """Close the conversation; the customer's next message reopens it with the bot."""
    async with _owned(runtime, principal, conversation_id) as (session, conversation):
        await ownership.close(session, conversation, principal.member_id)
    return conversation


async def _attached(
    runtime: Runtime, session: AsyncSession, tenant_id: str, media_id: str | None, in_app: bool
) -> dict[str, Any] | None:
    """The content of a reply carrying an uploaded file (in the web chat, with its link)."""
    if media_id is None:
        return None
    row = await get_media(session, tenant_id, media_id)
    if row.status != "stored":
        raise Conflict(f"The file {media_id} is {row.status}")
    media = {"kind": row.kind, "media_id": row.id, "filename": row.filename}
    if in_app:  # the widget loads it from this server
        media["url"] = signed_path(runtime, row.id)
    return {"kind": row.kind, "media": media}
