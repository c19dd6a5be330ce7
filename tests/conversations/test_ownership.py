"""Conversation ownership: bot → waiting → human → bot / closed, and the bot staying silent."""

from __future__ import annotations

from contextlib import aclosing
from typing import Any

import httpx
from sqlalchemy import select

from frontdesk.core.auth import Role
from frontdesk.core.outbox import OutboxEvent
from frontdesk.handlers import pipeline
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import SHIPPING_ANSWER, login, make_member, open_session, wait_for_messages


async def _agent(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, email: str
) -> tuple[httpx.AsyncClient, dict[str, str]]:
    await make_member(runtime.db, tenant.id, email, Role.AGENT)
    agent = httpx.AsyncClient(transport=client._transport, base_url="http://test")
    return agent, await login(agent, tenant.slug, email)


async def _say(client: httpx.AsyncClient, sid: str, headers: dict[str, str], text: str) -> None:
    r = await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": text}
    )
    assert r.status_code == 202, r.text


async def _waiting_conversation(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> tuple[str, dict[str, str], dict[str, Any]]:
    sid, headers = await open_session(client, tenant.slug)
    await _say(client, sid, headers, "I want to talk to someone about my invoice")
    await wait_for_messages(client, sid, headers, 2)  # the message and the fallback
    [conversation] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
    assert conversation["status"] == "waiting" and conversation["needs_human"]
    return sid, headers, conversation


async def _status_events(runtime: Runtime, tenant_id: str) -> list[tuple[str, str]]:
    async with runtime.db.tenant_session(tenant_id) as session:
        rows = await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.type == "conversation.status_changed")
            .order_by(OutboxEvent.id)
        )
        return [(e.payload["previous"], e.payload["status"]) for e in rows]


async def test_claim_reply_hand_back_close(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    sid, headers, conversation = await _waiting_conversation(client, tenant)
    cid = conversation["id"]
    agent, csrf = await _agent(client, runtime, tenant, "ana@acme.example")
    async with aclosing(agent):
        r = await agent.post(f"/api/v1/conversations/{cid}/claim", headers=csrf)
        assert r.status_code == 200, r.text
        me = (await agent.get("/api/v1/auth/me")).json()["member"]["id"]
        assert r.json()["status"] == "human" and r.json()["assignee_id"] == me
        assert not r.json()["needs_human"]

        r = await agent.post(
            f"/api/v1/conversations/{cid}/reply", json={"text": "Hi, Ana here."}, headers=csrf
        )
        assert r.status_code == 201, r.text
        assert r.json()["sender"] == "agent" and r.json()["direction"] == "out"
        # The customer reads the agent's reply through the web chat API.
        messages = await wait_for_messages(client, sid, headers, 3)
        assert messages[-1]["text"] == "Hi, Ana here." and messages[-1]["sender"] == "agent"

        mine = await agent.get("/api/v1/conversations", params={"assignee_id": me})
        assert [c["id"] for c in mine.json()] == [cid]
        listed = mine.json()[0]
        assert listed["preview"] == "Hi, Ana here." and listed["last_sender"] == "agent"
        assert "contact_name" in listed

        r = await agent.post(f"/api/v1/conversations/{cid}/hand-back", headers=csrf)
        assert r.json()["status"] == "bot" and r.json()["assignee_id"] is None
        r = await agent.post(f"/api/v1/conversations/{cid}/close", headers=csrf)
        assert r.json()["status"] == "closed"
    assert await _status_events(runtime, tenant.id) == [
        ("bot", "waiting"),
        ("waiting", "human"),
        ("human", "bot"),
        ("bot", "closed"),
    ]
    # A customer message reopens a closed conversation with the bot.
    await _say(client, sid, headers, "When will my order arrive?")
    messages = await wait_for_messages(client, sid, headers, 5)
    assert messages[-1]["text"] == SHIPPING_ANSWER
    assert (await _status_events(runtime, tenant.id))[-1] == ("closed", "bot")


async def test_bot_stays_silent_while_a_human_owns_it(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    sid, headers, conversation = await _waiting_conversation(client, tenant)
    agent, csrf = await _agent(client, runtime, tenant, "ana@acme.example")
    async with aclosing(agent):
        await agent.post(f"/api/v1/conversations/{conversation['id']}/claim", headers=csrf)
        await _say(client, sid, headers, "When will my order arrive?")  # an FAQ question
        messages = await wait_for_messages(client, sid, headers, 3)
        async with runtime.db.tenant_session(tenant.id) as session:
            received = await session.scalar(
                select(OutboxEvent)
                .where(OutboxEvent.type == "message.received")
                .order_by(OutboxEvent.id.desc())
            )
        assert received is not None
        assert received.payload["message_id"] == messages[-1]["id"]
    assert [m["sender"] for m in messages] == ["customer", "bot", "customer"]
    # Wait for the job to finish, then check that no bot reply followed.
    await _say(client, sid, headers, "hello?")
    messages = await wait_for_messages(client, sid, headers, 4)
    assert [m["sender"] for m in messages] == ["customer", "bot", "customer", "customer"]


async def test_one_owner_at_a_time_and_bad_transitions(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    _, _, conversation = await _waiting_conversation(client, tenant)
    cid = conversation["id"]
    ana, ana_csrf = await _agent(client, runtime, tenant, "ana@acme.example")
    bob, bob_csrf = await _agent(client, runtime, tenant, "bob@acme.example")
    async with aclosing(ana), aclosing(bob):
        r = await bob.post(
            f"/api/v1/conversations/{cid}/reply", json={"text": "hi"}, headers=bob_csrf
        )
        assert r.status_code == 409 and r.json()["detail"] == "Claim the conversation first"
        assert (await ana.post(f"/api/v1/conversations/{cid}/claim", headers=ana_csrf)).is_success
        assert (await ana.post(f"/api/v1/conversations/{cid}/claim", headers=ana_csrf)).is_success
        r = await bob.post(f"/api/v1/conversations/{cid}/claim", headers=bob_csrf)
        assert r.status_code == 409
        assert r.headers["content-type"] == "application/problem+json"
        r = await bob.post(f"/api/v1/conversations/{cid}/hand-back", headers=bob_csrf)
        assert r.status_code == 409
        r = await ana.post(
            f"/api/v1/conversations/{cid}/reply", json={"text": "   "}, headers=ana_csrf
        )
        assert r.status_code == 422
        await ana.post(f"/api/v1/conversations/{cid}/close", headers=ana_csrf)
        r = await bob.post(f"/api/v1/conversations/{cid}/claim", headers=bob_csrf)
        assert r.status_code == 409 and "closed" in r.json()["detail"]
        r = await bob.post("/api/v1/conversations/nope/claim", headers=bob_csrf)
        assert r.status_code == 404
    # An API key is no member: it can close, but not own a conversation.
    r = await client.post(f"/api/v1/conversations/{cid}/claim", headers=tenant.headers)
    assert r.status_code == 403


async def test_viewer_cannot_act(client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx):
    _, _, conversation = await _waiting_conversation(client, tenant)
    await make_member(runtime.db, tenant.id, "vic@acme.example", Role.VIEWER)
    csrf = await login(client, tenant.slug, "vic@acme.example")
    r = await client.post(f"/api/v1/conversations/{conversation['id']}/claim", headers=csrf)
    assert r.status_code == 403


async def test_a_claim_while_the_bot_works_on_a_message_keeps_the_bot_silent(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, monkeypatch: Any
):
    sid, headers, conversation = await _waiting_conversation(client, tenant)
    agent, csrf = await _agent(client, runtime, tenant, "ana@acme.example")
    choose = pipeline._choose

    async def claimed_meanwhile(turn: Any) -> Any:
        chosen = await choose(turn)  # the bot has read the message and picked its answer
        r = await agent.post(f"/api/v1/conversations/{conversation['id']}/claim", headers=csrf)
        assert r.status_code == 200, r.text
        return chosen

    async with aclosing(agent):
        monkeypatch.setattr(pipeline, "_choose", claimed_meanwhile)
        await _say(client, sid, headers, "When will my order arrive?")  # an FAQ question
        await wait_for_messages(client, sid, headers, 3)
        monkeypatch.undo()
        await _say(client, sid, headers, "hello?")  # its job runs after the first one's
        messages = await wait_for_messages(client, sid, headers, 4)
    assert [m["sender"] for m in messages] == ["customer", "bot", "customer", "customer"]
