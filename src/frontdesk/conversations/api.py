"""Conversation routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from frontdesk.conversations import service
from frontdesk.conversations.schemas import ConversationDetail, ConversationPublic, MessagePublic
from frontdesk.core.auth import Principal
from frontdesk.core.deps import SessionDep, require

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])
Reader = Annotated[Principal, Depends(require("conversations:read"))]


@router.get("", response_model=list[ConversationPublic])
async def list_conversations(
    session: SessionDep,
    principal: Reader,
    status: str | None = None,
    needs_human: bool | None = None,
    contact_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[object]:
    """List conversations, filtered by status, hand-over flag or contact."""
    return list(
        await service.list_conversations(
            session,
            principal.tenant_id,
            status=status,
            needs_human=needs_human,
            contact_id=contact_id,
            limit=limit,
            offset=offset,
        )
    )


@router.get("/{conversation_id}", response_model=ConversationDetail)
async def get_conversation(
    conversation_id: str, session: SessionDep, principal: Reader
) -> ConversationDetail:
    """Read a conversation with its messages."""
    conversation = await service.get_conversation(session, principal.tenant_id, conversation_id)
    rows = await service.messages(session, principal.tenant_id, conversation_id)
    return ConversationDetail(
        **ConversationPublic.model_validate(conversation).model_dump(),
        messages=[MessagePublic.model_validate(m) for m in rows],
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
