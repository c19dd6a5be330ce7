"""The task handler: a routing rule turns a message into a task; customers ask how it goes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from frontdesk.core.auth import Role
from frontdesk.handlers.task import STATUS_QUESTION
from frontdesk.routing.models import RoutingRule
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import make_member, open_session, wait_for_messages
from tests.tasks.helpers import URL, create, events, say

CALL_ME_BACK = {
    "logical": "AND",
    "conditions": [{"field": "text", "operator": "contains", "value": "call me back"}],
}
STATUS = "What's the status of my request?"


async def add_rule(runtime: Runtime, tenant_id: str, params: dict[str, Any]) -> str:
    async with runtime.db.tenant_tx(tenant_id) as session:
        rule = RoutingRule(
            tenant_id=tenant_id,
            name="Call-back requests",
            priority=10,
            conditions=CALL_ME_BACK,
            handler="task",
            params=params,
        )
        session.add(rule)
        await session.flush()
        rule_id = rule.id
    runtime.routing.forget(tenant_id)
    return rule_id


async def full_messages(
    client: httpx.AsyncClient, tenant: TenantCtx, conversation_id: str
) -> list[dict[str, Any]]:
    r = await client.get(
        f"/api/v1/conversations/{conversation_id}/messages", headers=tenant.headers
    )
    assert r.status_code == 200, r.text
    messages: list[dict[str, Any]] = r.json()
    return messages


async def test_a_rule_makes_a_task_for_the_least_loaded_agent(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    ann = await make_member(runtime.db, tenant.id, "ann@acme.example", Role.AGENT)
    bob = await make_member(runtime.db, tenant.id, "bob@acme.example", Role.AGENT)
    await make_member(runtime.db, tenant.id, "ada@acme.example", Role.ADMIN)  # not an agent
    await create(client, tenant, title="Ann's other work", assignee_id=ann)
    rule_id = await add_rule(
        runtime,
        tenant.id,
        {"title": "Call back {{ coalesce(contact.name, 'the customer') }}", "priority": "high"},
    )
    sid, headers = await open_session(client, tenant.slug)
    await say(client, sid, headers, "Could you call me back tomorrow morning?")
    _, reply = await wait_for_messages(client, sid, headers, 2)

    [conversation] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
    r = await client.get(
        URL, headers=tenant.headers, params={"conversation_id": conversation["id"]}
    )
    [task] = r.json()
    assert (task["title"], task["source"], task["priority"]) == (
        "Call back the customer",
        "conversation",
        "high",
    )
    assert task["assignee_id"] == bob and task["status"] == "open"
    assert task["conversation_id"] == conversation["id"]
    assert task["contact_id"] == conversation["contact_id"]
    assert reply["meta"]["handler"] == "task"
    assert reply["text"] == (
        f"Thanks, I've passed your request “Call back the customer” on to our team "
        f"(reference {task['ref']}). I'll let you know here when it's done."
    )
    recorded = (await full_messages(client, tenant, conversation["id"]))[-1]
    assert recorded["meta"]["task_id"] == task["id"] and recorded["meta"]["ref"] == task["ref"]
    assert recorded["meta"]["route"] == {"reason": "rule", "rule_id": rule_id}
    created = [e for e in await events(runtime, tenant.id, "task.created") if e["source"] != "api"]
    assert [(e["task_id"], e["conversation_id"]) for e in created] == [
        (task["id"], conversation["id"])
    ]
    assigned = await events(runtime, tenant.id, "task.assigned")
    assert [e["assignee_id"] for e in assigned] == [ann, bob]


async def test_named_assignee_and_title_from_the_message(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    ann = await make_member(runtime.db, tenant.id, "ann@acme.example", Role.AGENT)
    await add_rule(runtime, tenant.id, {"assignee_id": ann, "due_in_hours": 4})
    sid, headers = await open_session(client, tenant.slug)
    await say(client, sid, headers, "Please call me back   about my invoice")
    await wait_for_messages(client, sid, headers, 2)
    [task] = (await client.get(URL, headers=tenant.headers)).json()
    assert task["title"] == "Please call me back about my invoice"
    assert task["assignee_id"] == ann and task["due_at"] is not None


async def test_nobody_to_assign_and_an_unknown_assignee(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    await add_rule(runtime, tenant.id, {"assignee_id": "no-such-member"})
    sid, headers = await open_session(client, tenant.slug)
    await say(client, sid, headers, "call me back please")
    _, reply = await wait_for_messages(client, sid, headers, 2)
    assert reply["meta"]["handler"] == "task"
    [task] = (await client.get(URL, headers=tenant.headers)).json()
    assert task["assignee_id"] is None  # no agents: the task waits for someone to take it
    assert await events(runtime, tenant.id, "task.assigned") == []


async def test_invalid_rule_params_hand_over_to_a_human(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    await add_rule(runtime, tenant.id, {"priority": "asap"})
    sid, headers = await open_session(client, tenant.slug)
    await say(client, sid, headers, "call me back please")
    _, reply = await wait_for_messages(client, sid, headers, 2)
    assert reply["meta"]["handler"] == "handoff"
    assert (await client.get(URL, headers=tenant.headers)).json() == []


async def test_customer_asks_how_their_request_is_going(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    await add_rule(runtime, tenant.id, {"title": "Call back"})
    sid, headers = await open_session(client, tenant.slug)
    await say(client, sid, headers, "Can you call me back?")
    await wait_for_messages(client, sid, headers, 2)
    [task] = (await client.get(URL, headers=tenant.headers)).json()

    await say(client, sid, headers, STATUS)
    answer = (await wait_for_messages(client, sid, headers, 4))[-1]
    assert answer["text"] == f"Your request “Call back” ({task['ref']}) is waiting for our team."
    assert answer["meta"]["handler"] == "task"

    due = "2030-05-01T09:30:00+00:00"
    await client.patch(f"{URL}/{task['id']}", headers=tenant.headers, json={"due_at": due})
    await client.post(f"{URL}/{task['id']}/start", headers=tenant.headers)
    await say(client, sid, headers, "any update on my request?")
    answer = (await wait_for_messages(client, sid, headers, 6))[-1]
    assert answer["text"] == (
        f"Your request “Call back” ({task['ref']}) is being worked on, due by 01 May 2030, "
        "09:30 UTC."
    )

    await client.post(f"{URL}/{task['id']}/complete", headers=tenant.headers)
    notice = (await wait_for_messages(client, sid, headers, 7))[-1]
    assert notice["text"] == "Your request “Call back” is done."
    # Nothing left to do: the question goes down the usual answer chain.
    await say(client, sid, headers, STATUS)
    answer = (await wait_for_messages(client, sid, headers, 9))[-1]
    assert answer["meta"]["handler"] == "handoff"


async def test_several_open_requests_are_listed(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx
) -> None:
    await add_rule(runtime, tenant.id, {})
    sid, headers = await open_session(client, tenant.slug)
    await say(client, sid, headers, "call me back about the kettle")
    await say(client, sid, headers, "and call me back about the toaster")
    await wait_for_messages(client, sid, headers, 4)
    toaster, kettle = (await client.get(URL, headers=tenant.headers)).json()
    await client.post(f"{URL}/{toaster['id']}/start", headers=tenant.headers)
    await say(client, sid, headers, "Is my request done yet?")
    answer = (await wait_for_messages(client, sid, headers, 6))[-1]
    assert answer["text"] == (
        "Here is where your requests stand: "
        f"“and call me back about the toaster” ({toaster['ref']}) is being worked on; "
        f"“call me back about the kettle” ({kettle['ref']}) is waiting for our team."
    )


async def test_a_status_question_without_a_task_is_not_the_handlers(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    sid, headers = await open_session(client, tenant.slug)
    await say(client, sid, headers, "When will my order arrive?")
    await wait_for_messages(client, sid, headers, 2)
    await say(client, sid, headers, STATUS)
    answer = (await wait_for_messages(client, sid, headers, 4))[-1]
    assert answer["meta"]["handler"] != "task"
    assert (await client.get(URL, headers=tenant.headers)).json() == []


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("What's the status of my request?", True),
        ("any update on my ticket", True),
        ("Is my request done yet?", True),
        ("how is my callback going?", True),
        ("When will my order arrive?", False),
        ("Please call me back", False),
        ("I have a request about returns", False),
    ],
)
def test_status_questions(text: str, asks: bool) -> None:
    assert bool(STATUS_QUESTION.search(text)) is asks
