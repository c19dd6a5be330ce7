"""What starts and wakes runs: signed webhooks, domain events (at least once), schedules."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import orjson
import pytest
from sqlalchemy import func, select, update

from frontdesk.contacts.models import ContactIdentity
from frontdesk.conversations.models import Conversation, Message
from frontdesk.core.clock import utcnow
from frontdesk.core.outbox import Event
from frontdesk.runtime import Runtime
from frontdesk.workflows import runner
from frontdesk.workflows.models import WorkflowInstance, WorkflowTrigger
from frontdesk.workflows.triggers import fire_due, on_event, sign
from tests.conftest import TenantCtx
from tests.factories import open_session
from tests.workflows.helpers import deploy, graph, setter, wait_for

ECHO = graph(
    [
        ("s", "start", {}),
        ("a", "set", setter("seen", True)),
        ("e", "end", {"output": {"order": "{{ input.order_id }}", "seen": "{{ vars.seen }}"}}),
    ],
    [("s", "a", None), ("a", "e", None)],
    [{"type": "webhook"}],
)


async def _secret(client: httpx.AsyncClient, tenant: TenantCtx, wid: str) -> tuple[str, str]:
    r = await client.post(f"/api/v1/workflows/{wid}/webhook-secret", headers=tenant.headers)
    assert r.status_code == 200
    body = r.json()
    return body["secret"], "/" + body["url"].split("/", 3)[3]


async def test_signed_webhook_runs_inline_and_answers_with_the_output(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    wid, _ = await deploy(client, tenant.headers, ECHO)
    secret, path = await _secret(client, tenant, wid)
    assert path == f"/webhooks/acme/workflows/{wid}"
    body = orjson.dumps({"order_id": "A-7"})
    signed = {
        "X-Frontdesk-Signature": sign(secret, body, int(time.time())),
        "Content-Type": "application/json",
        "Idempotency-Key": "delivery-1",
    }
    r = await client.post(path, content=body, headers=signed)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed"
    assert r.json()["output"] == {"order": "A-7", "seen": True}
    again = await client.post(path, content=body, headers=signed)
    assert again.json()["instance_id"] == r.json()["instance_id"], (
        "a redelivery returns the first run"
    )

    tampered = await client.post(path, content=orjson.dumps({"order_id": "B"}), headers=signed)
    assert tampered.status_code == 401
    assert tampered.headers["content-type"].startswith("application/problem+json")
    old = {**signed, "X-Frontdesk-Signature": sign(secret, body, int(time.time()) - 600)}
    assert (await client.post(path, content=body, headers=old)).status_code == 401
    unsigned = await client.post(path, content=body)
    assert unsigned.status_code == 401
    junk = b"{not json"
    bad = await client.post(
        path, content=junk, headers={"X-Frontdesk-Signature": sign(secret, junk, int(time.time()))}
    )
    assert bad.status_code == 400
    assert (
        await client.post("/webhooks/acme/workflows/nope", content=body, headers=signed)
    ).status_code == 404
    assert (
        await client.post(f"/webhooks/nobody/workflows/{wid}", content=body, headers=signed)
    ).status_code == 404


async def test_webhook_changes_apply_at_once_despite_the_cache(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    wid, version_id = await deploy(client, tenant.headers, ECHO)
    old_secret, path = await _secret(client, tenant, wid)

    async def deliver(secret: str) -> int:
        body = orjson.dumps({"order_id": "A-8"})
        signed = {"X-Frontdesk-Signature": sign(secret, body, int(time.time()))}
        return (await client.post(path, content=body, headers=signed)).status_code

    assert await deliver(old_secret) == 200  # now cached
    new_secret, _ = await _secret(client, tenant, wid)
    assert await deliver(old_secret) == 401 and await deliver(new_secret) == 200
    r = await client.post(f"/api/v1/workflows/{wid}/deactivate", headers=tenant.headers)
    assert r.status_code == 200, r.text
    assert await deliver(new_secret) == 404
    r = await client.post(
        f"/api/v1/workflows/{wid}/activate", headers=tenant.headers, json={"version_id": version_id}
    )
    assert r.status_code == 200 and await deliver(new_secret) == 200


async def test_custom_event_starts_each_run_once(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    wid, _ = await deploy(
        client,
        tenant.headers,
        graph(
            [("s", "start", {}), ("e", "end", {"output": "{{ trigger.plan }}"})],
            [("s", "e", None)],
            [
                {
                    "type": "event",
                    "event": "custom.signup",
                    "when": {
                        "logical": "AND",
                        "conditions": [{"field": "plan", "operator": "equals", "value": "pro"}],
                    },
                }
            ],
        ),
    )
    r = await client.post(
        "/api/v1/events",
        headers=tenant.headers,
        json={"type": "signup", "payload": {"plan": "pro"}},
    )
    assert r.status_code == 202
    await client.post(
        "/api/v1/events",
        headers=tenant.headers,
        json={"type": "signup", "payload": {"plan": "free"}},
    )
    for _ in range(200):
        runs = (
            await client.get(
                "/api/v1/workflow-instances", headers=tenant.headers, params={"workflow_id": wid}
            )
        ).json()
        if runs and runs[0]["status"] == "completed":
            break
        await asyncio.sleep(0.05)
    assert len(runs) == 1 and runs[0]["output"] == "pro"
    event = Event(r.json()["event_id"], tenant.id, "custom.signup", {"plan": "pro"}, None, utcnow())
    await on_event(runtime, event)  # delivered again (at least once): no second run
    async with runtime.db.tenant_session(tenant.id) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(WorkflowInstance)
            .where(WorkflowInstance.workflow_id == wid)
        )
    assert count == 1


async def test_wait_for_reply_is_woken_by_the_customers_next_message(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    wid, _ = await deploy(
        client,
        tenant.headers,
        graph(
            [
                ("s", "start", {}),
                (
                    "r",
                    "wait_reply",
                    {"conversation_id": "{{ input.conversation }}", "wait_timeout_seconds": 600},
                ),
                ("e", "end", {"output": "{{ nodes.r.message_id }}"}),
                ("t", "end", {"output": "timeout"}),
            ],
            [("s", "r", None), ("r", "e", None), ("r", "t", "timeout")],
        ),
    )
    sid, auth = await open_session(client, "acme")
    url = f"/api/v1/webchat/sessions/{sid}/messages"
    await client.post(url, headers=auth, json={"text": "hello"})
    conversations = []
    for _ in range(100):
        conversations = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
        if conversations:
            break
        await asyncio.sleep(0.05)
    conversation = conversations[0]["id"]
    hello = Event(
        "late-delivery",
        tenant.id,
        "message.received",
        {"conversation_id": conversation, "message_id": "hello", "text": "hello"},
        None,
        utcnow(),
    )
    r = await client.post(
        f"/api/v1/workflows/{wid}/runs",
        headers=tenant.headers,
        json={"input": {"conversation": conversation}},
    )
    run = r.json()["id"]
    body = await wait_for(client, tenant.headers, run, "waiting")
    assert body["waiting"][0]["kind"] == "event"
    await on_event(runtime, hello)  # the first message's event, delivered late: not a reply
    await asyncio.sleep(0.3)
    r = await client.get(f"/api/v1/workflow-instances/{run}", headers=tenant.headers)
    assert r.json()["status"] == "waiting"
    sent = (await client.post(url, headers=auth, json={"text": "it's me again"})).json()[
        "message_id"
    ]
    done = await wait_for(client, tenant.headers, run, "completed")
    assert done["output"] == sent


async def test_a_schedule_fires_once_per_tick(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    wid, _ = await deploy(
        client,
        tenant.headers,
        graph(
            [("s", "start", {}), ("e", "end", {"output": "{{ trigger.schedule }}"})],
            [("s", "e", None)],
            [{"type": "cron", "cron": "*/5 * * * *", "timezone": "Europe/Paris"}],
        ),
    )
    async with runtime.db.tenant_tx(tenant.id) as session:
        trigger = await session.scalar(
            select(WorkflowTrigger).where(WorkflowTrigger.workflow_id == wid)
        )
        assert trigger is not None and trigger.next_run_at is not None
        assert trigger.next_run_at > utcnow()
        await session.execute(
            update(WorkflowTrigger)
            .where(WorkflowTrigger.id == trigger.id)
            .values(next_run_at=utcnow() - timedelta(seconds=1))
        )
    started = [await fire_due(runtime), await fire_due(runtime)]
    assert sum(started) <= 1  # the background loop may have taken the tick first
    for _ in range(200):
        runs = (
            await client.get(
                "/api/v1/workflow-instances", headers=tenant.headers, params={"workflow_id": wid}
            )
        ).json()
        if runs and runs[0]["status"] == "completed":
            break
        await asyncio.sleep(0.05)
    assert len(runs) == 1
    assert runs[0]["output"] == "*/5 * * * *"


async def test_wait_for_event_matches_its_rules_against_each_payload(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    rules = {
        "logical": "AND",
        "conditions": [{"field": "order", "operator": "equals", "value": "{{ input.order }}"}],
    }
    wid, _ = await deploy(
        client,
        tenant.headers,
        graph(
            [
                ("s", "start", {}),
                ("paid", "wait_event", {"event": "custom.paid", "when": rules}),
                ("e", "end", {"output": "{{ nodes.paid.amount }}"}),
            ],
            [("s", "paid", None), ("paid", "e", None)],
        ),
    )
    r = await client.post(
        f"/api/v1/workflows/{wid}/runs", headers=tenant.headers, json={"input": {"order": "A-1"}}
    )
    run = r.json()["id"]
    await wait_for(client, tenant.headers, run, "waiting")
    events = "/api/v1/events"
    other = {"type": "paid", "payload": {"order": "B-2", "amount": 1}}
    await client.post(events, headers=tenant.headers, json=other)
    await asyncio.sleep(0.5)
    body = (await client.get(f"/api/v1/workflow-instances/{run}", headers=tenant.headers)).json()
    assert body["status"] == "waiting", "another order's payment does not wake it"
    mine = {"type": "paid", "payload": {"order": "A-1", "amount": 42}}
    await client.post(events, headers=tenant.headers, json=mine)
    assert (await wait_for(client, tenant.headers, run, "completed"))["output"] == 42


async def test_webhook_runs_group_committed_or_in_their_own_transaction(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    """A run that only writes rows is group-committed; one that calls out first runs in its
    own transaction; both answer with the completed run."""
    sid, auth = await open_session(client, "acme")
    await client.post(f"/api/v1/webchat/sessions/{sid}/messages", headers=auth, json={"text": "hi"})
    conversations: list[dict[str, str]] = []
    for _ in range(100):
        conversations = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
        if conversations:
            break
        await asyncio.sleep(0.05)
    wid, _ = await deploy(
        client,
        tenant.headers,
        graph(
            [
                ("s", "start", {}),
                (
                    "say",
                    "send_message",
                    {
                        "text": "Order {{ input.order }} shipped",
                        "conversation_id": "{{ input.conversation }}",
                    },
                ),
                ("e", "end", {"output": "{{ nodes.say.message_id }}"}),
            ],
            [("s", "say", None), ("say", "e", None)],
            [{"type": "webhook"}],
        ),
    )
    secret, path = await _secret(client, tenant, wid)

    async def call(payload: dict[str, object]) -> dict[str, object]:
        body = orjson.dumps(payload)
        headers = {"X-Frontdesk-Signature": sign(secret, body, int(time.time()))}
        r = await client.post(path, content=body, headers=headers)
        assert r.status_code == 200, r.text
        return dict(r.json())

    answers = await asyncio.gather(
        *(call({"order": n, "conversation": conversations[0]["id"]}) for n in range(8))
    )
    assert all(a["status"] == "completed" for a in answers)
    messages = (await client.get(f"/api/v1/webchat/sessions/{sid}/messages", headers=auth)).json()
    shipped = [m for m in messages if m["text"].startswith("Order ")]
    assert len(shipped) == 8
    assert {a["output"] for a in answers} == {m["id"] for m in shipped}
    bad = await call({"order": 1, "conversation": "no-such-conversation"})
    assert bad["status"] == "failed" and "Unknown conversation" in str(bad["error"])


async def test_runs_that_start_conversations_are_group_committed_and_never_doubled(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
):
    """New contacts and conversations are staged rows: runs to new chats share group commits,
    and runs racing to start the same conversation end with one conversation between them."""
    channels = (await client.get("/api/v1/channels", headers=tenant.headers)).json()
    webchat = next(c["id"] for c in channels if c["type"] == "webchat")
    wid, _ = await deploy(
        client,
        tenant.headers,
        graph(
            [
                ("s", "start", {}),
                (
                    "say",
                    "send_message",
                    {
                        "text": "Order {{ input.order }} shipped",
                        "channel_id": webchat,
                        "recipient": "{{ input.chat }}",
                    },
                ),
                ("e", "end", {"output": "{{ nodes.say.conversation_id }}"}),
            ],
            [("s", "say", None), ("say", "e", None)],
            [{"type": "webhook"}],
        ),
    )
    secret, path = await _secret(client, tenant, wid)

    async def call(order: int, chat: str) -> dict[str, object]:
        body = orjson.dumps({"order": order, "chat": chat})
        headers = {"X-Frontdesk-Signature": sign(secret, body, int(time.time()))}
        r = await client.post(path, content=body, headers=headers)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def own_transaction(*_: object) -> None:
        raise AssertionError("a run to a new chat fell back to its own transaction")

    with monkeypatch.context() as patched:
        patched.setattr(runner, "_start_in_transaction", own_transaction)
        answers = await asyncio.gather(*(call(n, f"chat-{n}") for n in range(6)))
    assert [a["status"] for a in answers] == ["completed"] * 6
    assert len({a["output"] for a in answers}) == 6  # six conversations

    # Eight runs race for one new chat: the clashing ones run again in their own transaction.
    raced = await asyncio.gather(*(call(n, "chat-race") for n in range(8)))
    assert [a["status"] for a in raced] == ["completed"] * 8
    [conversation_id] = {a["output"] for a in raced}
    async with runtime.db.tenant_session(tenant.id) as session:
        threads = await session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.external_thread_id == "chat-race")
        )
        identities = await session.scalar(
            select(func.count())
            .select_from(ContactIdentity)
            .where(ContactIdentity.external_id == "chat-race")
        )
        sent = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.conversation_id == conversation_id)
        )
    assert (threads, identities, sent) == (1, 1, 8)
