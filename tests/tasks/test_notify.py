"""Completing a conversation's task tells the customer, on their own channel."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select

from frontdesk.conversations.models import Conversation
from frontdesk.intake.webchat import thread_key
from frontdesk.runtime import Runtime
from tests.channels import payloads
from tests.channels.conftest import fake, fake_server, settings  # noqa: F401 - the fake provider
from tests.channels.fake_provider import FakeProvider
from tests.channels.helpers import create_channel, path_of, telegram_headers
from tests.conftest import TenantCtx
from tests.factories import wait_for_messages
from tests.tasks.helpers import URL, create, events, webchat_conversation

DONE = "Your request “Call back about the kettle” is done."


async def test_web_chat_customer_is_told_when_their_task_is_done(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    sid, headers, conversation = await webchat_conversation(client, tenant)
    task = await create(
        client, tenant, title="Call back about the kettle", conversation_id=conversation["id"]
    )
    async with runtime.db.tenant_session(tenant.id) as session:
        row = await session.scalar(
            select(Conversation).where(Conversation.id == conversation["id"])
        )
        assert row is not None
        key = thread_key(row.channel_id, row.external_thread_id)
    live = asyncio.create_task(runtime.hub.wait(key, 5))
    await asyncio.sleep(0)  # the stream is listening before the change

    r = await client.post(f"{URL}/{task['id']}/complete", headers=tenant.headers)
    assert r.status_code == 200, r.text
    assert await live  # the widget's live stream was woken
    messages = await wait_for_messages(client, sid, headers, 3)
    notice = messages[-1]
    assert (notice["sender"], notice["text"]) == ("bot", DONE)
    assert notice["meta"]["handler"] == "task"  # the customer's view shows no more
    r = await client.get(
        f"/api/v1/conversations/{conversation['id']}/messages", headers=tenant.headers
    )
    recorded = r.json()[-1]
    assert (recorded["id"], recorded["status"]) == (notice["id"], "sent")
    assert recorded["meta"] == {"handler": "task", "task_id": task["id"]}
    [sent] = [e for e in await events(runtime, tenant.id, "message.sent") if e["handler"] == "task"]
    assert sent == {
        "message_id": notice["id"],
        "conversation_id": conversation["id"],
        "handler": "task",
    }


async def test_a_task_without_conversation_tells_nobody(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    sid, headers, _ = await webchat_conversation(client, tenant)
    task = await create(client, tenant, title="Call back about the kettle")
    r = await client.post(f"{URL}/{task['id']}/complete", headers=tenant.headers)
    assert r.status_code == 200
    assert len(await wait_for_messages(client, sid, headers, 3, timeout=0.5)) == 2


async def test_telegram_customer_gets_the_notice_through_the_provider(
    client: httpx.AsyncClient,
    runtime: Runtime,
    tenant: TenantCtx,
    fake: FakeProvider,  # noqa: F811
) -> None:
    channel = await create_channel(client, tenant, "telegram")
    body = payloads.dumps(payloads.telegram_text(text="When will my order arrive?"))
    r = await client.post(path_of(channel), content=body, headers=telegram_headers(channel))
    assert r.status_code == 200, r.text
    await fake.await_for(1)  # the FAQ's answer
    [conversation] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
    task = await create(
        client, tenant, title="Call back about the kettle", conversation_id=conversation["id"]
    )
    r = await client.post(f"{URL}/{task['id']}/complete", headers=tenant.headers)
    assert r.status_code == 200, r.text
    _, notice = await fake.await_for(2)
    assert notice.path == "/bot123456:ABC-DEF/sendMessage"
    assert notice.json == {"chat_id": "1111111", "text": DONE}
