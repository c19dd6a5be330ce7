"""With a model configured, a long conversation's summary is written by it."""

from __future__ import annotations

import asyncio

import httpx

from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.conversations.test_summary import TURNS
from tests.handlers.helpers import Chat
from tests.llm.conftest import configure, openai_entry
from tests.llm.fake_provider import FakeProvider, Reply

WRITTEN = "Blender jar cracked (ORD-771234); wants a replacement sent to Leeds."


async def test_the_model_writes_the_summary(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "sum")])
    fake.script("sum", *[Reply.ok(WRITTEN)] * 10)  # small talk asks the model too
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    for text in TURNS:
        history = await chat.say(text, replies=0)
    conversation = history[0]["conversation_id"]
    for _ in range(200):
        detail = (
            await client.get(f"/api/v1/conversations/{conversation}", headers=tenant.headers)
        ).json()
        if detail["summary"]:
            break
        await asyncio.sleep(0.05)
    assert detail["summary"] == WRITTEN
    [call] = [c for c in fake.received("sum") if "Summarise" in str(c.body)]
    assert "ORD-771234" in str(call.body["messages"])
