"""Bad input (issue 5): every odd message is recorded and routed somewhere safe, none is lost."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import func, select

from frontdesk.conversations.models import Message
from frontdesk.queue.models import Job
from frontdesk.runtime import Runtime
from tests.channels import payloads
from tests.channels.helpers import create_channel, path_of, wait_until
from tests.conftest import TenantCtx
from tests.handlers.helpers import Chat

ODD = [
    "🙂🙂🙂",
    "🚀",
    "?",
    "x" * 4096,
    "Bonjour, I need help mit meiner Bestellung por favor",
    "qwzx vbnm plok trst",
    "<script>alert(1)</script>' OR 1=1; --",
    "\u202e\u200b\u0000 weird controls",
]


async def test_odd_messages_each_get_a_safe_route(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    await client.patch(
        "/api/v1/tenant",
        headers=tenant.headers,
        json={
            "settings": {"languages": ["de", "fr", "es"], "entity_patterns": {"order": "(a+)+$"}}
        },
    )
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    for n, text in enumerate(ODD, 1):
        await chat.say(text, replies=0)

        async def decided(count: int = n) -> list[dict[str, Any]]:
            r = await client.get("/api/v1/routing/decisions", headers=tenant.headers)
            return list(r.json()) if len(r.json()) >= count else []

        decision = (await wait_until(decided))[0]
        assert decision["handler"] in {"feedback", "small_talk", "faq", "handoff"}, decision
    conversation = decision["conversation_id"]
    texts = [m["text"] for m in await chat.history(conversation) if m["sender"] == "customer"]
    assert texts[:-1] == ODD[:-1]  # every one kept
    assert texts[-1] == "weird controls"  # control characters are dropped at intake
    async with runtime.db.system_session() as session:
        dead = await session.scalar(
            select(func.count()).select_from(Job).where(Job.status == "dead")
        )
    assert dead == 0


async def test_a_long_e_mail_is_kept_whole_and_handed_on(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    channel = await create_channel(client, tenant, "email")
    body = ("This is terrible: my order has not arrived and nobody answers. " * 160)[:10_000]
    signed = payloads.mailgun_fields(
        "mg-signing-key", f"tok{time.time_ns()}", **{"stripped-text": body, "body-plain": body}
    )
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = await client.post(path_of(channel), content=urlencode(signed).encode(), headers=form)
    assert r.status_code == 200, r.text

    async def inbound() -> list[Message]:
        async with runtime.db.tenant_session(tenant.id) as session:
            return list(await session.scalars(select(Message).where(Message.direction == "in")))

    (message,) = await wait_until(inbound, timeout=30.0)
    assert message.text == body
    assert message.meta["analysis"]["sentiment"]["label"] == "negative"
    decisions = (await client.get("/api/v1/routing/decisions", headers=tenant.headers)).json()
    assert [d["handler"] for d in decisions] == ["handoff"]
