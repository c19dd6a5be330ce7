"""Helpers of the workflow effect tests: a run transaction as the engine opens it, test data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from frontdesk.channels.service import channel_of_type
from frontdesk.contacts.service import contact_for_identity
from frontdesk.conversations import service as conversations
from frontdesk.core.outbox import OutboxEvent
from frontdesk.runtime import Runtime
from frontdesk.workflows.effects import LiveEffects
from frontdesk.workflows.nodes.base import Step


def step_for(effects: Any, tenant_id: str, key: str = "run-1:n1:1") -> Step:
    return Step(
        node_id="n1",
        config=None,
        scope={},
        effects=effects,
        key=key,
        tenant_id=tenant_id,
        instance_id="run-1",
        now=datetime.now(UTC),
    )


@asynccontextmanager
async def live(runtime: Runtime, tenant_id: str) -> AsyncIterator[LiveEffects]:
    """LiveEffects in a run transaction opened as the engine opens it (no write lock yet)."""
    session = runtime.db.tenant_session(tenant_id)
    async with runtime.db.transaction(session, write=False):
        yield LiveEffects(runtime, session, tenant_id)


async def webchat_conversation(runtime: Runtime, tenant_id: str) -> str:
    async with runtime.db.tenant_tx(tenant_id) as session:
        channel = await channel_of_type(session, tenant_id, "webchat")
        contact = await contact_for_identity(session, tenant_id, "webchat", "visitor-1")
        conversation = await conversations.start_conversation(
            session, tenant_id, channel.id, "visitor-1", contact.id
        )
        return conversation.id


async def events(runtime: Runtime, tenant_id: str, type_: str) -> list[dict[str, Any]]:
    async with runtime.db.tenant_session(tenant_id) as session:
        rows = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id, OutboxEvent.type == type_)
        )
        return [row.payload for row in rows]
