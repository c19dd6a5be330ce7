"""The workflow handler: rules hand messages to workflows; a waiting workflow gets the reply."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import TenantCtx
from tests.handlers.helpers import Chat
from tests.workflows.helpers import deploy, graph, wait_for


async def runs_of(client: httpx.AsyncClient, tenant: TenantCtx, wid: str) -> list[dict[str, Any]]:
    for _ in range(200):
        runs: list[dict[str, Any]] = (
            await client.get(
                "/api/v1/workflow-instances", headers=tenant.headers, params={"workflow_id": wid}
            )
        ).json()
        if runs and runs[0]["status"] == "completed":
            return runs
        await asyncio.sleep(0.05)
    return runs


async def test_a_rule_starts_the_workflow_with_the_message(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    wid, _ = await deploy(
        client,
        tenant.headers,
        graph(
            [("s", "start", {}), ("e", "end", {"output": "{{ trigger.entities.email }}"})],
            [("s", "e", None)],
            [{"type": "event", "event": "custom.refund_request"}],
        ),
    )
    rule = {
        "name": "refunds",
        "conditions": {
            "conditions": [{"field": "text", "operator": "contains", "value": "refund"}]
        },
        "handler": "workflow",
        "params": {"event": "refund_request", "text": "Let me start your refund."},
    }
    r = await client.post("/api/v1/routing/rules", headers=tenant.headers, json=rule)
    assert r.status_code == 201, r.text
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    reply = await chat.last_reply("I want a refund, my e-mail is jo@example.com")
    assert reply["text"] == "Let me start your refund."
    assert reply["meta"] == {
        "handler": "workflow",
        "event": "custom.refund_request",
        "route": {"reason": "rule", "rule_id": r.json()["id"]},
    }
    [run] = await runs_of(client, tenant, wid)
    assert run["output"] == "jo@example.com"


async def test_while_a_workflow_waits_for_the_reply_the_bot_stays_silent(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    wid, _ = await deploy(
        client,
        tenant.headers,
        graph(
            [
                ("s", "start", {}),
                ("r", "wait_reply", {"conversation_id": "{{ input.conversation }}"}),
                ("e", "end", {"output": "{{ nodes.r.text }}"}),
            ],
            [("s", "r", None), ("r", "e", None)],
        ),
    )
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    history = await chat.say("When will my order arrive?")
    conversation = history[0]["conversation_id"]
    r = await client.post(
        f"/api/v1/workflows/{wid}/runs",
        headers=tenant.headers,
        json={"input": {"conversation": conversation}},
    )
    run = r.json()["id"]
    await wait_for(client, tenant.headers, run, "waiting")
    await chat.say("What is your return policy?", replies=0)  # a FAQ question, yet no answer
    done = await wait_for(client, tenant.headers, run, "completed")
    assert done["output"] == "What is your return policy?"
    await asyncio.sleep(0.2)
    history = await chat.history(conversation)
    assert [m["sender"] for m in history] == ["customer", "bot", "customer"]
    decisions = (
        await client.get(
            "/api/v1/routing/decisions",
            headers=tenant.headers,
            params={"conversation_id": conversation},
        )
    ).json()
    assert (decisions[0]["handler"], decisions[0]["reason"]) == ("workflow", "workflow_waiting")
