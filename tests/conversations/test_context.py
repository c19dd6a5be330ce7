"""Conversation context: what the bot remembers, when it forgets, and what it escalates on."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from frontdesk.conversations.context import ConversationContext
from frontdesk.conversations.models import Conversation
from frontdesk.core.clock import utcnow
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.handlers.helpers import Chat


def analysis(intent: str | None, score: float, **entities: str) -> dict[str, object]:
    return {
        "intent": {"name": intent, "out_of_scope": intent is None} if intent else None,
        "sentiment": {"score": score},
        "entities": [{"type": k, "value": v} for k, v in entities.items()],
    }


def test_the_context_keeps_short_windows() -> None:
    context = ConversationContext()
    for n in range(8):
        context.observe(f"message {n}", analysis("track", -0.1 * n, order_id=f"ORD-{n}"))
    assert context.messages == 8
    assert context.recent == ["message 4", "message 5", "message 6", "message 7"]
    assert len(context.intents) == 5 and context.last_intent == "track"
    assert context.sentiments == pytest.approx([-0.3, -0.4, -0.5, -0.6, -0.7])
    assert context.sentiment_trend == -0.5
    assert context.entities == {"order_id": "ORD-7"}
    context.observe("", None)
    assert context.messages == 9 and len(context.recent) == 4


def test_a_stored_context_expires() -> None:
    stored = ConversationContext(messages=3, variables={"plan": "pro"}).dump()
    assert stored == {"messages": 3, "variables": {"plan": "pro"}}
    assert ConversationContext.load(stored, utcnow() + timedelta(hours=1)).messages == 3
    assert ConversationContext.load(stored, utcnow() - timedelta(seconds=1)).messages == 0
    assert ConversationContext.load(None, None).messages == 0


async def _context(runtime: Runtime, tenant_id: str, conversation_id: str) -> Conversation:
    async with runtime.db.tenant_session(tenant_id) as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        return conversation


async def test_the_pipeline_remembers_and_forgets(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    history = await chat.say("When will my order arrive? It is ORD-123456")
    conversation_id = history[0]["conversation_id"]
    await chat.say("What is your return policy?")
    conversation = await _context(runtime, tenant.id, conversation_id)
    assert conversation.context["messages"] == 2
    assert conversation.context["last_handler"] == "faq"
    assert conversation.context["recent"][0].startswith("When will my order arrive?")
    assert conversation.context_expires_at is not None
    assert conversation.context_expires_at > utcnow() + timedelta(hours=23)

    async with runtime.db.tenant_tx(tenant.id) as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(context_expires_at=utcnow() - timedelta(minutes=1))
        )
    await chat.say("Can I return an item?")
    conversation = await _context(runtime, tenant.id, conversation_id)
    assert conversation.context["messages"] == 1  # forgotten; the history itself stays
    assert len(await chat.history(conversation_id)) == 6


async def test_a_souring_conversation_goes_to_a_human(client: httpx.AsyncClient, tenant: TenantCtx):
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    first = await chat.last_reply("When will my order arrive?? This is awful, I'm furious")
    assert first["meta"]["handler"] == "faq"
    second = await chat.last_reply("What is your return policy? Terrible, horrible service")
    assert second["meta"]["handler"] == "handoff"
    assert second["meta"]["reason"] == "negative_sentiment"


async def test_an_explicit_request_goes_to_a_human_at_once(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    reply = await chat.last_reply("I want to speak to a real person")
    assert (reply["meta"]["handler"], reply["meta"]["reason"]) == ("handoff", "asked_for_human")
    r = await client.get(
        "/api/v1/conversations", headers=tenant.headers, params={"needs_human": True}
    )
    assert len(r.json()) == 1
