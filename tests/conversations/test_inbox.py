"""The agent inbox listing: filters, waiting time, escalation reason, and the why of each answer."""

from __future__ import annotations

from contextlib import aclosing
from datetime import timedelta

import httpx
from sqlalchemy import update

from frontdesk.conversations.models import Conversation
from frontdesk.core.auth import Role
from frontdesk.core.clock import utcnow
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.conversations.inbox_helpers import customer_asks, member_client

LIST = "/api/v1/conversations"


async def _ids(client: httpx.AsyncClient, headers: dict[str, str], **params: object) -> list[str]:
    r = await client.get(LIST, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()]


async def _waited(runtime: Runtime, tenant_id: str, conversation_id: str, seconds: int) -> None:
    """Make the conversation wait since ``seconds`` ago."""
    async with runtime.db.tenant_tx(tenant_id) as session:
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(waiting_since=utcnow() - timedelta(seconds=seconds))
        )


async def _three_conversations(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> tuple[str, str, str]:
    """Two handed over (the human asked for first), one the bot answered; ids in that order."""
    await customer_asks(client, tenant, "I want to talk to a human about my invoice")
    await customer_asks(client, tenant)
    await customer_asks(client, tenant, "When will my order arrive?")
    newest_first = await _ids(client, tenant.headers)
    return newest_first[2], newest_first[1], newest_first[0]


async def test_waiting_conversations_longest_wait_first_with_their_age_and_reason(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    human, unanswered, answered = await _three_conversations(client, tenant)
    await _waited(runtime, tenant.id, human, 60)
    await _waited(runtime, tenant.id, unanswered, 600)

    r = await client.get(LIST, headers=tenant.headers, params={"status": "waiting"})
    listed = r.json()
    assert [c["id"] for c in listed] == [unanswered, human]
    assert 600 <= listed[0]["waiting_seconds"] < 660
    assert 60 <= listed[1]["waiting_seconds"] < 120
    assert [c["escalation_reason"] for c in listed] == ["no_answer", "asked_for_human"]
    assert listed[0]["waiting_since"] < listed[1]["waiting_since"]
    assert listed[0]["preview"] and listed[0]["last_sender"] == "bot"

    [bot] = (await client.get(LIST, headers=tenant.headers, params={"status": "bot"})).json()
    assert bot["id"] == answered
    assert (bot["waiting_since"], bot["waiting_seconds"], bot["escalation_reason"]) == (
        None,
        None,
        None,
    )
    # Without a status filter: latest activity first.
    assert await _ids(client, tenant.headers) == [answered, unanswered, human]


async def test_filters_by_owner_channel_and_time(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    human, unanswered, answered = await _three_conversations(client, tenant)
    agent, csrf, agent_id = await member_client(
        client, runtime, tenant, "ana@acme.example", Role.AGENT
    )
    async with aclosing(agent):
        assert (await agent.post(f"{LIST}/{human}/claim", headers=csrf)).status_code == 200
        assert await _ids(agent, csrf, mine="true") == [human]
        assert await _ids(agent, csrf, mine="true", status="waiting") == []
        assert await _ids(agent, csrf, assignee_id=agent_id) == [human]
        assert await _ids(agent, csrf, unassigned="true") == [answered, unanswered]
        assert await _ids(agent, csrf, unassigned="true", status="waiting") == [unanswered]
        assert await _ids(agent, csrf, needs_human="true") == [unanswered]

    channels = (await client.get("/api/v1/channels", headers=tenant.headers)).json()
    webchat = next(c["id"] for c in channels if c["type"] == "webchat")
    assert await _ids(client, tenant.headers, channel="webchat") == [answered, unanswered, human]
    assert await _ids(client, tenant.headers, channel=webchat) == [answered, unanswered, human]
    assert await _ids(client, tenant.headers, channel="telegram") == []
    assert await _ids(client, tenant.headers, channel="no-such-channel") == []

    future = (utcnow() + timedelta(minutes=5)).isoformat()
    past = (utcnow() - timedelta(minutes=5)).isoformat()
    assert await _ids(client, tenant.headers, since=future) == []
    assert await _ids(client, tenant.headers, since=past) == [answered, unanswered, human]
    assert await _ids(client, tenant.headers, limit=1, offset=1) == [unanswered]


async def test_bad_filters_are_refused(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    for params in (
        {"status": "archived"},
        {"mine": "true", "unassigned": "true"},
        {"assignee_id": "x", "unassigned": "true"},
        {"since": "yesterday"},
        {"since": "2026-01-31T09:00:00"},  # no time zone
        {"limit": 0},
        {"limit": 501},
    ):
        r = await client.get(LIST, headers=tenant.headers, params=params)
        assert r.status_code == 422, params
        assert r.headers["content-type"] == "application/problem+json"
    # An API key is no member: "mine" means nobody.
    r = await client.get(LIST, headers=tenant.headers, params={"mine": "true"})
    assert r.status_code == 403


async def test_history_shows_the_analysis_and_the_routing_decisions(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    await customer_asks(client, tenant, "When will my order arrive?")
    await customer_asks(client, tenant)  # newest: the hand-over
    [cid, _] = await _ids(client, tenant.headers)
    r = await client.get(f"{LIST}/{cid}", headers=tenant.headers)
    assert r.status_code == 200, r.text
    detail = r.json()
    inbound = detail["messages"][0]
    assert inbound["sender"] == "customer"
    analysis = inbound["meta"]["analysis"]
    assert {"intent", "sentiment", "entities"} <= set(analysis)
    [decision] = detail["decisions"]
    assert decision["message_id"] == inbound["id"]
    assert decision["handler"] == "handoff" and decision["reason"] == "fallback"
    assert decision["answered"] is False and decision["details"]["chosen"] == "faq"
    assert detail["escalation_reason"] == "no_answer" and detail["waiting_seconds"] >= 0
    # The page of messages carries the analysis too.
    r = await client.get(f"{LIST}/{cid}/messages", headers=tenant.headers)
    assert r.json()[0]["meta"]["analysis"] == analysis


async def test_another_tenant_sees_none_of_it(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
):
    await customer_asks(client, tenant)
    [cid] = await _ids(client, tenant.headers, status="waiting")
    assert await _ids(client, other_tenant.headers, status="waiting") == []
    assert await _ids(client, other_tenant.headers, channel="webchat") == []
    r = await client.get(f"{LIST}/{cid}", headers=other_tenant.headers)
    assert r.status_code == 404
