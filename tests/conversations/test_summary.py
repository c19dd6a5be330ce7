"""Summaries of long conversations, and expired contexts cleared."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import update

from frontdesk.conversations.models import Conversation
from frontdesk.conversations.service import forget_expired_contexts
from frontdesk.conversations.summary import EVERY, FROM, extractive
from frontdesk.core.clock import utcnow
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.handlers.helpers import Chat

TURNS = [
    "Hello there, I have a problem with my order",
    "My order ORD-771234 arrived with a cracked blender jar",
    "ok",
    "I would like a replacement jar rather than a refund",
    "thanks",
    "Can you send it to my office address in Leeds instead?",
    "When will my order arrive?",
    "What is your return policy?",
]


def test_the_extractive_summary_keeps_the_telling_sentences_in_order() -> None:
    turns = [("customer", t) for t in TURNS] + [("bot", "You can return items within 30 days.")]
    text = extractive(turns)
    assert "ORD-771234" in text and "replacement jar" in text
    assert text.index("ORD-771234") < text.index("replacement jar")
    assert " ok " not in text and "thanks" not in text
    assert text.endswith("(9 messages; last from the bot.)")
    assert "nothing longer" in extractive([("customer", "ok"), ("customer", "hi")])


async def test_a_long_conversation_gets_a_summary_for_the_agent(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    assert FROM == EVERY == len(TURNS)
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    for text in TURNS[:-1]:
        await chat.say(text, replies=0)
    history = await chat.say(TURNS[-1])
    conversation = history[0]["conversation_id"]
    for _ in range(200):  # replies were not all awaited: wait for the eighth message's turn
        detail = (
            await client.get(f"/api/v1/conversations/{conversation}", headers=tenant.headers)
        ).json()
        if detail["summary"]:
            break
        await asyncio.sleep(0.05)
    assert detail["summary"].startswith("The customer wrote:")
    assert "ORD-771234" in detail["summary"]


async def test_expired_contexts_are_cleared(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    history = await chat.say("When will my order arrive?")
    conversation = history[0]["conversation_id"]
    assert await forget_expired_contexts(runtime.db) == 0
    async with runtime.db.tenant_tx(tenant.id) as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation)
            .values(context_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert await forget_expired_contexts(runtime.db) == 1
    async with runtime.db.tenant_session(tenant.id) as session:
        row = await session.get(Conversation, conversation)
        assert row is not None and (row.context, row.context_expires_at) == ({}, None)
