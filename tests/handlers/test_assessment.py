"""The assessment handler, through real web chat conversations and the worker pipeline."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from frontdesk.core.outbox import OutboxEvent
from frontdesk.routing.models import RoutingRule
from frontdesk.runtime import Runtime
from frontdesk.tenants.settings import DEFAULT_NO_AGENT
from tests.assessments.samples import quiz
from tests.conftest import TenantCtx
from tests.factories import SHIPPING_ANSWER, open_session, wait_for_messages

URL = "/api/v1/assessments"
Q1 = "Question 1 of 5: How often do you exercise?\n1. Never\n2. Sometimes\n3. Often"
Q2 = "Question 2 of 5: Do you smoke?\n1. Yes\n2. No"
Q4 = "Question 4 of 5: How well do you sleep?\n(a number from 1 to 5)"
Q5 = "Question 5 of 5: Your e-mail for the report?"


class Chat:
    """One customer's web chat session: send a message, get the bot's reply."""

    def __init__(self, client: httpx.AsyncClient, sid: str, headers: dict[str, str]) -> None:
        self.client, self.sid, self.headers = client, sid, headers
        self.count = 0

    async def say(self, text: str) -> dict[str, Any]:
        r = await self.client.post(
            f"/api/v1/webchat/sessions/{self.sid}/messages",
            headers=self.headers,
            json={"text": text},
        )
        assert r.status_code == 202, r.text
        self.count += 2
        messages = await wait_for_messages(self.client, self.sid, self.headers, self.count)
        assert len(messages) == self.count, messages
        return messages[-1]


async def setup(client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx) -> Chat:
    """The sample assessment, a rule starting it on "quiz", and a chat session."""
    r = await client.post(URL, headers=tenant.headers, json=quiz())
    assert r.status_code == 201, r.text
    async with runtime.db.tenant_tx(tenant.id) as session:
        session.add(
            RoutingRule(
                tenant_id=tenant.id,
                name="quiz",
                priority=10,
                conditions={
                    "logical": "AND",
                    "conditions": [{"field": "text", "operator": "contains", "value": "quiz"}],
                },
                handler="assessment",
                params={"assessment": "health-check"},
            )
        )
    runtime.routing.forget(tenant.id)
    sid, headers = await open_session(client, tenant.slug)
    return Chat(client, sid, headers)


async def results(client: httpx.AsyncClient, tenant: TenantCtx) -> list[dict[str, Any]]:
    r = await client.get(f"{URL}/health-check/results", headers=tenant.headers)
    assert r.status_code == 200, r.text
    body: list[dict[str, Any]] = r.json()
    return body


async def test_a_full_run(client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx):
    chat = await setup(client, runtime, tenant)
    reply = await chat.say("Can I take the quiz?")
    assert reply["text"] == f"Five quick questions about your habits.\n\n{Q1}"
    assert reply["meta"]["handler"] == "assessment"
    [run] = await results(client, tenant)
    assert (run["status"], run["current_question"], run["answers"]) == (
        "in_progress",
        "exercise",
        {},
    )
    assert run["version"] == 1 and run["contact_id"]

    reply = await chat.say("2")
    assert reply["text"] == Q2
    [run] = await results(client, tenant)
    assert run["answers"] == {"exercise": {"value": "Sometimes", "raw": "2", "points": 2.0}}
    assert run["current_question"] == "smoke"

    reply = await chat.say("no")  # the cigarettes question is skipped
    assert reply["text"] == Q4
    reply = await chat.say("quite well, thanks")
    assert reply["text"] == f"Sorry, please reply with a number from 1 to 5.\n\n{Q4}"
    reply = await chat.say("4")
    assert reply["text"] == Q5
    reply = await chat.say("not an address")
    assert reply["text"].startswith("Sorry, that does not look like an e-mail address.")
    reply = await chat.say("Ann@Example.com")
    assert reply["text"] == (
        "Thanks for taking the health check.\n\nYour result: Fair (13 points)"
        "\n\nA good base to build on."
    )

    [run] = await results(client, tenant)
    assert (run["status"], run["score"], run["band"]) == ("completed", 13, "Fair")
    assert run["completed_at"] and run["current_question"] is None
    assert run["answers"]["cigarettes"] == {
        "value": None,
        "raw": None,
        "points": 0.0,
        "skipped": True,
    }
    assert run["answers"]["sleep"] == {"value": 4, "raw": "4", "points": 8.0}
    assert run["answers"]["email"]["value"] == "Ann@example.com"

    async with runtime.db.tenant_tx(tenant.id) as session:
        events = (
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "assessment.completed")
            )
        ).all()
    [event] = events
    assert event.tenant_id == tenant.id
    assert event.payload["result_id"] == run["id"]
    assert (event.payload["score"], event.payload["band"]) == (13, "Fair")
    assert event.payload["conversation_id"] == run["conversation_id"]

    # What an agent sees: the rule started the run, the flow brought each answer back.
    r = await client.get(f"/api/v1/conversations/{run['conversation_id']}", headers=tenant.headers)
    bot = [m["meta"] for m in r.json()["messages"] if m["sender"] == "bot"]
    assert [m["route"]["reason"] for m in bot] == ["rule"] + ["flow"] * 6
    assert [m.get("invalid", False) for m in bot] == [False] * 3 + [True, False, True, False]
    assert bot[-1]["status"] == "completed" and bot[-1]["result_id"] == run["id"]

    # The flow is over: the next question goes to the FAQ again.
    reply = await chat.say("When will my order arrive?")
    assert (reply["text"], reply["meta"]["handler"]) == (SHIPPING_ANSWER, "faq")


async def test_stop_abandons_the_run(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    chat = await setup(client, runtime, tenant)
    await chat.say("quiz please")
    await chat.say("often")
    reply = await chat.say("Cancel")
    assert reply["text"].startswith("All right, I stopped the assessment.")
    [run] = await results(client, tenant)
    assert run["status"] == "abandoned"
    assert list(run["answers"]) == ["exercise"]
    r = await client.get(
        f"{URL}/health-check/results", params={"status": "abandoned"}, headers=tenant.headers
    )
    assert [x["id"] for x in r.json()] == [run["id"]]
    reply = await chat.say("When will my order arrive?")
    assert reply["meta"]["handler"] == "faq"
    async with runtime.db.tenant_tx(tenant.id) as session:
        count = await session.scalar(
            select(OutboxEvent.id).where(OutboxEvent.type == "assessment.completed")
        )
    assert count is None


async def test_three_invalid_answers_hand_over_to_a_human(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    chat = await setup(client, runtime, tenant)
    await chat.say("quiz")
    for _ in range(2):
        reply = await chat.say("banana")
        assert reply["text"] == (
            f"Sorry, please reply with the number or the name of one of the options.\n\n{Q1}"
        )
    reply = await chat.say("banana")
    assert reply["meta"]["handler"] == "handoff"
    assert reply["text"] == DEFAULT_NO_AGENT  # the tenant has no agent to take it
    [run] = await results(client, tenant)
    assert (run["status"], run["answers"]) == ("escalated", {})
    r = await client.get(
        "/api/v1/conversations", params={"needs_human": True}, headers=tenant.headers
    )
    assert [c["id"] for c in r.json()] == [run["conversation_id"]]


async def test_asking_for_a_human_mid_run_ends_it_as_escalated(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    chat = await setup(client, runtime, tenant)
    await chat.say("quiz")
    await chat.say("often")
    reply = await chat.say("I want to talk to a real person")
    assert reply["meta"]["handler"] == "handoff"
    [run] = await results(client, tenant)
    assert (run["status"], list(run["answers"])) == ("escalated", ["exercise"])


async def test_a_run_keeps_its_version_and_a_new_run_takes_the_new_one(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    chat = await setup(client, runtime, tenant)
    await chat.say("quiz")
    shorter = quiz(title="Short check")
    shorter["questions"] = shorter["questions"][:1]
    r = await client.put(f"{URL}/health-check", headers=tenant.headers, json=shorter)
    assert r.json()["version"] == 2
    reply = await chat.say("3")
    assert reply["text"] == Q2  # still version 1's five questions
    reply = await chat.say("quiz again")  # a rule matches, but the run under way goes on
    assert reply["text"].startswith("Sorry, please answer yes or no.")

    other = Chat(client, *(await open_session(client, tenant.slug)))
    reply = await other.say("quiz")
    assert "Question 1 of 1:" in reply["text"]
    runs = {run["version"]: run for run in await results(client, tenant)}
    assert set(runs) == {1, 2}
    assert runs[1]["current_question"] == "smoke"


async def test_a_disabled_assessment_does_not_start(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
):
    chat = await setup(client, runtime, tenant)
    await client.patch(f"{URL}/health-check", headers=tenant.headers, json={"enabled": False})
    reply = await chat.say("quiz")
    assert reply["meta"]["handler"] == "handoff"
    assert await results(client, tenant) == []
