"""Hand-over to a human (PRODUCT.md R2): the customer told, a callback when nobody is there."""

from __future__ import annotations

from contextlib import aclosing
from datetime import timedelta

import httpx

from frontdesk.core.auth import Role
from frontdesk.core.clock import utcnow
from frontdesk.routing.hours import DAYS
from frontdesk.runtime import Runtime
from frontdesk.tenants.settings import DEFAULT_FALLBACK, DEFAULT_NO_AGENT
from tests.conftest import TenantCtx
from tests.conversations.inbox_helpers import (
    UNANSWERABLE,
    customer_asks,
    events,
    member_client,
    say,
    set_available,
    wait_for_messages,
)
from tests.factories import SHIPPING_ANSWER


async def _callbacks(client: httpx.AsyncClient, tenant: TenantCtx, **params: str) -> list[dict]:
    r = await client.get("/api/v1/callbacks", headers=tenant.headers, params=params)
    assert r.status_code == 200, r.text
    return list(r.json())


async def test_no_agent_available_tells_the_customer_and_queues_a_callback(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    # An agent exists but is away: nobody can take the conversation now.
    agent, csrf, _ = await member_client(client, runtime, tenant, "ana@acme.example", Role.AGENT)
    async with aclosing(agent):
        await set_available(agent, csrf, False)
    sid, headers, messages = await customer_asks(client, tenant)
    reply = messages[1]
    assert reply["text"] == DEFAULT_NO_AGENT and reply["meta"]["handler"] == "handoff"

    [callback] = await _callbacks(client, tenant)
    [conversation] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
    assert callback["conversation_id"] == conversation["id"]
    assert callback["contact_id"] == conversation["contact_id"]
    assert (callback["status"], callback["reason"], callback["done_at"]) == (
        "pending",
        "no_answer",
        None,
    )
    assert conversation["status"] == "waiting"
    assert conversation["escalation_reason"] == "no_answer"
    assert await events(runtime, tenant.id, "callback.queued") == [
        {
            "callback_id": callback["id"],
            "conversation_id": conversation["id"],
            "contact_id": conversation["contact_id"],
            "reason": "no_answer",
        }
    ]
    [escalated] = await events(runtime, tenant.id, "conversation.escalated")
    assert escalated["agent_available"] is False

    # While waiting the bot still answers FAQs; another unanswered message gets no second
    # text and no second callback (its inbound message commits with its handling).
    await say(client, sid, headers, "When will my order arrive?")
    await say(client, sid, headers, "Hello? Still about the blender")
    messages = await wait_for_messages(client, sid, headers, 5)
    assert [m["sender"] for m in messages] == ["customer", "bot", "customer", "customer", "bot"]
    assert messages[-1]["text"] == SHIPPING_ANSWER
    r = await client.get(f"/api/v1/conversations/{conversation['id']}", headers=tenant.headers)
    assert len(r.json()["messages"]) == 5
    assert len(await _callbacks(client, tenant)) == 1
    assert len(await events(runtime, tenant.id, "callback.queued")) == 1


async def test_an_available_agent_means_the_fallback_text_and_no_callback(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    agent, csrf, _ = await member_client(client, runtime, tenant, "ana@acme.example", Role.AGENT)
    async with aclosing(agent):
        await set_available(agent, csrf, True)
    _, _, messages = await customer_asks(client, tenant)
    assert messages[1]["text"] == DEFAULT_FALLBACK
    assert await _callbacks(client, tenant) == []
    assert await events(runtime, tenant.id, "callback.queued") == []
    [escalated] = await events(runtime, tenant.id, "conversation.escalated")
    assert escalated["agent_available"] is True


async def test_an_available_viewer_is_no_agent(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    """Only agents and admins answer customers; a viewer cannot even mark themself available."""
    viewer, csrf, _ = await member_client(client, runtime, tenant, "vic@acme.example", Role.VIEWER)
    async with aclosing(viewer):
        r = await viewer.put(
            "/api/v1/members/me/availability", json={"available": True}, headers=csrf
        )
        assert r.status_code == 403
    _, _, messages = await customer_asks(client, tenant)
    assert messages[1]["text"] == DEFAULT_NO_AGENT


async def test_outside_business_hours_nobody_is_available_and_the_tenant_text_is_used(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    admin, csrf, _ = await member_client(client, runtime, tenant, "ada@acme.example", Role.ADMIN)
    async with aclosing(admin):
        await set_available(admin, csrf, True)
    tomorrow = DAYS[(utcnow() + timedelta(days=1)).weekday()]
    closed_now = {"business_hours": {tomorrow: [["00:00", "24:00"]]}, "timezone": "UTC"}
    text = "We're closed right now; we will call you back tomorrow."
    r = await client.patch(
        "/api/v1/tenant",
        headers=tenant.headers,
        json={"settings": {**closed_now, "no_agent_text": text}},
    )
    assert r.status_code == 200, r.text
    _, _, messages = await customer_asks(client, tenant)
    assert messages[1]["text"] == text
    assert [c["status"] for c in await _callbacks(client, tenant)] == ["pending"]

    # Open all week: the available admin takes the hand-over.
    always = {day: [["00:00", "24:00"]] for day in DAYS}
    r = await client.patch(
        "/api/v1/tenant", headers=tenant.headers, json={"settings": {"business_hours": always}}
    )
    assert r.status_code == 200, r.text
    _, _, messages = await customer_asks(client, tenant)
    assert messages[1]["text"] == DEFAULT_FALLBACK
    assert len(await _callbacks(client, tenant)) == 1


async def test_bad_tenant_texts_are_refused(client: httpx.AsyncClient, tenant: TenantCtx):
    for value in ("", "x" * 2001, 5):
        r = await client.patch(
            "/api/v1/tenant", headers=tenant.headers, json={"settings": {"no_agent_text": value}}
        )
        assert r.status_code == 422, value
        assert r.headers["content-type"] == "application/problem+json"


async def test_bot_to_human_to_bot_round_trip(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    """Hand-over with nobody there, an agent comes, claims, replies on the web chat, hands back."""
    sid, headers, messages = await customer_asks(client, tenant)
    assert messages[1]["text"] == DEFAULT_NO_AGENT
    [callback] = await _callbacks(client, tenant, status="pending")

    agent, csrf, agent_id = await member_client(
        client, runtime, tenant, "ana@acme.example", Role.AGENT
    )
    async with aclosing(agent):
        await set_available(agent, csrf, True)
        # Becoming available dials nobody: the callback stays listed until someone acts.
        assert [c["id"] for c in await _callbacks(client, tenant, status="pending")] == [
            callback["id"]
        ]
        [waiting] = (await agent.get("/api/v1/conversations", params={"status": "waiting"})).json()
        cid = waiting["id"]
        r = await agent.post(f"/api/v1/conversations/{cid}/claim", headers=csrf)
        assert r.status_code == 200 and r.json()["status"] == "human"
        assert r.json()["escalation_reason"] == "no_answer" and r.json()["waiting_seconds"] is None

        # The bot stays silent while the agent owns the conversation.
        await say(client, sid, headers, "When will my order arrive?")
        r = await agent.post(
            f"/api/v1/conversations/{cid}/reply",
            json={"text": "Hi, Ana here: in 3 days."},
            headers=csrf,
        )
        assert r.status_code == 201, r.text
        # The reply goes out on the customer's channel: the web chat shows it.
        messages = await wait_for_messages(client, sid, headers, 4)
        assert [m["sender"] for m in messages] == ["customer", "bot", "customer", "agent"]
        assert messages[-1]["text"] == "Hi, Ana here: in 3 days."
        # The agent's reply settled the callback.
        [done] = await _callbacks(client, tenant)
        assert (done["status"], done["done_by"]) == ("done", agent_id)
        assert done["done_at"] is not None

        r = await agent.post(f"/api/v1/conversations/{cid}/hand-back", headers=csrf)
        assert r.json()["status"] == "bot" and r.json()["escalation_reason"] is None

    # The bot answers again.
    await say(client, sid, headers, "What is your return policy?")
    messages = await wait_for_messages(client, sid, headers, 6)
    assert [m["sender"] for m in messages][-2:] == ["customer", "bot"]
    assert messages[-1]["text"] == "You can return items within 30 days."
    # A later hand-over finds the agent available: the fallback, and no new callback.
    await say(client, sid, headers, UNANSWERABLE)
    messages = await wait_for_messages(client, sid, headers, 8)
    assert messages[-1]["text"] == DEFAULT_FALLBACK
    assert len(await _callbacks(client, tenant)) == 1
    statuses = [
        (e["previous"], e["status"])
        for e in await events(runtime, tenant.id, "conversation.status_changed")
    ]
    assert statuses == [
        ("bot", "waiting"),
        ("waiting", "human"),
        ("human", "bot"),
        ("bot", "waiting"),
    ]
