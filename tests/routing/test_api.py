"""Routing rules through the API, and the decisions the pipeline records."""

from __future__ import annotations

from typing import Any

import httpx

from frontdesk.core.auth import Role
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import api_key, open_session, wait_for_messages


def contains(text: str) -> dict[str, Any]:
    return {"conditions": [{"field": "text", "operator": "contains", "value": text}]}


def replies(messages: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """The customer's texts and the bot's answers to them, in the order asked."""
    asked = [m for m in messages if m["sender"] == "customer"]
    by_question = {m["reply_to_id"]: m for m in messages if m["sender"] == "bot"}
    return [m["text"] for m in asked], [
        by_question[m["id"]] for m in asked if m["id"] in by_question
    ]


async def full_history(
    client: httpx.AsyncClient, headers: dict[str, str], conversation_id: str
) -> list[dict[str, Any]]:
    """The conversation as members see it (with the routing details)."""
    r = await client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json())


async def say(client: httpx.AsyncClient, sid: str, headers: dict[str, str], text: str) -> None:
    r = await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": text}
    )
    assert r.status_code == 202, r.text


async def test_rules_crud_in_priority_order(client: httpx.AsyncClient, tenant: TenantCtx):
    h = tenant.headers
    late = {"name": "late", "priority": 50, "conditions": contains("x"), "handler": "handoff"}
    early = {**late, "name": "early", "priority": 5, "handler": "small_talk"}
    first = (await client.post("/api/v1/routing/rules", headers=h, json=late)).json()
    second = await client.post("/api/v1/routing/rules", headers=h, json=early)
    assert second.status_code == 201, second.text
    names = [r["name"] for r in (await client.get("/api/v1/routing/rules", headers=h)).json()]
    assert names == ["early", "late"]

    r = await client.patch(
        f"/api/v1/routing/rules/{first['id']}", headers=h, json={"priority": 1, "enabled": False}
    )
    assert (r.json()["priority"], r.json()["enabled"]) == (1, False)
    r = await client.patch(f"/api/v1/routing/rules/{first['id']}", headers=h, json={"name": None})
    assert r.status_code == 400
    assert (
        await client.delete(f"/api/v1/routing/rules/{first['id']}", headers=h)
    ).status_code == 204
    r = await client.get(f"/api/v1/routing/rules/{first['id']}", headers=h)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"

    handlers = (await client.get("/api/v1/routing/handlers", headers=h)).json()
    assert {"faq", "knowledge", "handoff", "small_talk", "feedback", "workflow"} <= {
        x["name"] for x in handlers
    }


async def test_bad_rules_are_refused_with_the_reason(client: httpx.AsyncClient, tenant: TenantCtx):
    base = {"name": "r", "conditions": contains("x"), "handler": "handoff"}
    cases = [
        ({**base, "handler": "no_such_handler"}, "unknown handler"),
        ({**base, "conditions": {"conditions": [{"field": "text", "operator": "zap"}]}}, "zap"),
        ({**base, "conditions": {"conditions": []}}, "no conditions"),
        (
            {
                **base,
                "conditions": {
                    "conditions": [{"field": "text", "operator": "matches", "value": "(a)\\1"}]
                },
            },
            "conditions",
        ),
        ({**base, "params": {"blob": "x" * 20_000}}, "params"),
        ({**base, "name": ""}, "name"),
    ]
    for body, words in cases:
        r = await client.post("/api/v1/routing/rules", headers=tenant.headers, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert words in r.text, (words, r.text)


async def test_a_viewer_reads_rules_but_cannot_change_them(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    viewer = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.VIEWER)}"}
    assert (await client.get("/api/v1/routing/rules", headers=viewer)).status_code == 200
    body = {"name": "r", "conditions": contains("x"), "handler": "handoff"}
    r = await client.post("/api/v1/routing/rules", headers=viewer, json=body)
    assert r.status_code == 403


async def test_a_rule_routes_live_messages_and_the_decision_is_kept(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    h = tenant.headers
    rule = {
        "name": "refunds to people",
        "priority": 1,
        "conditions": contains("refund"),
        "handler": "handoff",
        "params": {
            "text": "A refund specialist will take it from here.",
            "no_agent_text": "Our refund team will call you back.",
        },
    }
    rule_id = (await client.post("/api/v1/routing/rules", headers=h, json=rule)).json()["id"]
    sid, headers = await open_session(client, tenant.slug)
    await say(client, sid, headers, "When will my order arrive?")
    await say(client, sid, headers, "I want a refund for the blender")
    messages = await wait_for_messages(client, sid, headers, 4)
    conversation = messages[0]["conversation_id"]
    asked, answers = replies(await full_history(client, h, conversation))
    assert answers[0]["meta"]["handler"] == "faq"
    assert answers[0]["meta"]["route"] == {"reason": "default"}
    assert answers[1]["text"] == "Our refund team will call you back."  # no agent is in
    assert answers[1]["meta"]["route"] == {"reason": "rule", "rule_id": rule_id}

    decisions = (
        await client.get(
            "/api/v1/routing/decisions", headers=h, params={"conversation_id": conversation}
        )
    ).json()
    assert [(d["handler"], d["reason"], d["answered"]) for d in decisions] == [
        ("handoff", "rule", True),
        ("faq", "default", True),
    ]
    assert "refunds to people" in decisions[0]["details"]["explanation"]

    stats = (await client.get("/api/v1/routing/analytics", headers=h)).json()
    assert (stats["total"], stats["escalated"], stats["escalation_rate"]) == (2, 1, 0.5)
    assert {(r["handler"], r["reason"]) for r in stats["rows"]} == {
        ("faq", "default"),
        ("handoff", "rule"),
    }
    r = await client.get(
        "/api/v1/routing/analytics",
        headers=h,
        params={"since": "2030-01-01T00:00:00Z", "until": "2029-01-01T00:00:00Z"},
    )
    assert r.status_code == 400


async def test_an_unanswered_question_falls_back_and_says_why(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    sid, headers = await open_session(client, tenant.slug)
    await say(client, sid, headers, "Does the blender come in purple?")
    messages = await wait_for_messages(client, sid, headers, 2)
    _, [answer] = replies(
        await full_history(client, tenant.headers, messages[0]["conversation_id"])
    )
    assert answer["meta"]["handler"] == "handoff"
    assert answer["meta"]["reason"] == "no_answer"
    assert answer["meta"]["route"] == {"reason": "fallback"}
    decisions = (await client.get("/api/v1/routing/decisions", headers=tenant.headers)).json()
    assert (decisions[0]["handler"], decisions[0]["reason"], decisions[0]["answered"]) == (
        "handoff",
        "fallback",
        False,
    )
    assert decisions[0]["details"]["chosen"] == "faq"


async def test_the_dry_run_says_where_a_message_would_go(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    h = tenant.headers
    r = await client.post("/api/v1/routing/test", headers=h, json={"text": "hello!"})
    assert (r.json()["handler"], r.json()["reason"]) == ("small_talk", "detected")
    r = await client.post("/api/v1/routing/test", headers=h, json={"text": "Where is my parcel?"})
    assert r.json()["handler"] == "faq"
    assert r.json()["fallbacks"] == ["knowledge", "handoff"]
    assert r.json()["analysis"]["sentiment"]["label"]
    r = await client.post("/api/v1/routing/test", headers=h, json={"text": ""})
    assert r.status_code == 422


async def test_a_rule_on_the_contact_routes_a_vip(client: httpx.AsyncClient, tenant: TenantCtx):
    h = tenant.headers
    rule = {
        "name": "VIPs to people",
        "conditions": {
            "conditions": [{"field": "contact.vip", "operator": "equals", "value": True}]
        },
        "handler": "handoff",
        "params": {"no_agent_text": "Your account manager will call you."},
    }
    assert (await client.post("/api/v1/routing/rules", headers=h, json=rule)).status_code == 201
    sid, headers = await open_session(client, tenant.slug)
    await say(client, sid, headers, "When will my order arrive?")
    messages = await wait_for_messages(client, sid, headers, 2)
    _, [answer] = replies(await full_history(client, h, messages[0]["conversation_id"]))
    assert answer["meta"]["handler"] == "faq"  # not a VIP yet
    conversation = (await client.get("/api/v1/conversations", headers=h)).json()[0]
    r = await client.patch(
        f"/api/v1/contacts/{conversation['contact_id']}", headers=h, json={"vip": True}
    )
    assert r.status_code == 200, r.text
    await say(client, sid, headers, "What is your return policy?")
    messages = await wait_for_messages(client, sid, headers, 4)
    _, answers = replies(await full_history(client, h, messages[0]["conversation_id"]))
    assert answers[1]["text"] == "Your account manager will call you."
