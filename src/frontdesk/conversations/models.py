"""Conversations and their messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Base, TenantMixin


class Conversation(TenantMixin, Base):
    """A thread between a contact and the tenant on one channel.

    ``status``: ``bot`` (the bot answers) → ``waiting`` (needs a human) → ``human`` (claimed by
    ``assignee_id``, the bot stays silent) → ``closed``; a new customer message reopens it.
    ``waiting_since`` is set while it waits; ``escalation_reason`` says why the bot handed over.
    """

    __tablename__ = "conversations"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id"))
    external_thread_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="bot")
    needs_human: Mapped[bool] = mapped_column(default=False)
    assignee_id: Mapped[str | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), default=None
    )
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    waiting_since: Mapped[datetime | None] = mapped_column(default=None)
    escalation_reason: Mapped[str | None] = mapped_column(String(64), default=None)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The bot's memory of the conversation (see :mod:`frontdesk.conversations.context`)."""
    context_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index(
            "uq_conversations_thread", "tenant_id", "channel_id", "external_thread_id", unique=True
        ),
        Index("ix_conversations_tenant_status", "tenant_id", "status"),
    )


class Message(TenantMixin, Base):
    """One message in a conversation, inbound (customer) or outbound (bot, agent)."""

    __tablename__ = "messages"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(8))
    sender: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reply_to_id: Mapped[str | None] = mapped_column(String(36), default=None)
    status: Mapped[str] = mapped_column(String(16), default="received")


class Callback(TenantMixin, Base):
    """A customer to get back to: queued when the bot handed over and no agent was available.

    ``status``: ``pending`` → ``done`` (by ``done_by``: a member's reply, the conversation
    closed, or marked done) or ``cancelled``.
    """

    __tablename__ = "callbacks"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id"))
    reason: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    done_by: Mapped[str | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), default=None
    )

    __table_args__ = (
        Index("ix_callbacks_tenant_status_requested", "tenant_id", "status", "requested_at"),
    )
