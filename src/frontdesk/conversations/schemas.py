"""Conversation and message bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class MessagePublic(BaseModel):
    """A message as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    direction: str
    sender: str
    text: str
    content: dict[str, Any]
    meta: dict[str, Any]
    reply_to_id: str | None
    status: str
    created_at: datetime


class ConversationPublic(BaseModel):
    """A conversation as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    contact_id: str
    channel_id: str
    status: str
    needs_human: bool
    last_message_at: datetime
    created_at: datetime


class ConversationDetail(ConversationPublic):
    """A conversation with its messages."""

    messages: list[MessagePublic]
