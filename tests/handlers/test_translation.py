"""Messages in another language are handled in the tenant's own, the original kept."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import replace
from typing import Any

import httpx

from frontdesk.core.auth import Role
from frontdesk.handlers.small_talk import LOCAL
from frontdesk.runtime import Runtime
from frontdesk.workflows.nodes.base import Result
from frontdesk.workflows.nodes.send_message import SendMessage
from tests.conftest import TenantCtx
from tests.conversations.inbox_helpers import member_client
from tests.factories import SHIPPING_ANSWER, wait_for_messages
from tests.handlers.helpers import Chat
from tests.llm.conftest import configure, openai_entry
from tests.llm.fake_provider import FakeProvider, Reply
from tests.reminders.helpers import job_ids, run_now
from tests.tasks.helpers import URL as TASKS
from tests.tasks.helpers import create as create_task
from tests.workflows.effect_helpers import live, step_for

GERMAN = "Wann kommt meine Bestellung bei mir zu Hause an?"
GERMAN_ANSWER = "Ihre Bestellung kommt in drei bis fünf Werktagen an."
TRANSLATED = "When will my order arrive at my home?"


async def german_conversation(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
) -> tuple[Chat, dict[str, Any], dict[str, Any]]:
    """A model configured, and a German customer's question answered: (chat, question, answer)."""
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "tr")])
    fake.script("tr", Reply.ok(TRANSLATED), Reply.ok(GERMAN_ANSWER))
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    question, answer = await chat.say(GERMAN)
    return chat, question, answer


async def test_a_german_question_is_answered_in_german(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    # The tenant lists no other language: with a model configured, every message's is detected.
    _, question, answer = await german_conversation(client, runtime, tenant, fake)
    assert question["text"] == GERMAN
    assert question["meta"]["translation"] == {
        "text": TRANSLATED,
        "from": "de",
        "to": "en",
    }
    assert question["meta"]["analysis"]["language"] == "de"
    assert answer["text"] == GERMAN_ANSWER
    assert answer["reply_to_id"] == question["id"]
    assert answer["meta"]["handler"] == "faq"
    assert answer["meta"]["translation"] == {"original": SHIPPING_ANSWER, "from": "en", "to": "de"}
    inbound, outbound = fake.received("tr")
    assert GERMAN in str(inbound.body["messages"])
    assert SHIPPING_ANSWER in str(outbound.body["messages"])
    assert "'de'" in str(outbound.body["messages"])


async def test_an_answer_goes_out_as_written_when_its_translation_fails(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "tr")])
    fake.script("tr", Reply.ok(TRANSLATED), Reply.error(401))
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    question, answer = await chat.say(GERMAN)
    assert question["meta"]["translation"]["from"] == "de"
    assert answer["text"] == SHIPPING_ANSWER
    assert "translation" not in answer["meta"]
    assert answer["meta"]["handler"] == "faq"


async def test_a_message_in_the_tenants_language_is_not_translated(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "tr")])
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    question, answer = await chat.say("When will my order arrive at my home?")
    assert question["meta"]["analysis"]["language"] == "en"
    assert "translation" not in question["meta"]
    assert answer["text"] == SHIPPING_ANSWER
    assert "translation" not in answer["meta"]
    assert fake.received("tr") == []


async def test_without_a_model_the_original_is_used(client: httpx.AsyncClient, tenant: TenantCtx):
    await client.patch(
        "/api/v1/tenant", headers=tenant.headers, json={"settings": {"languages": ["de"]}}
    )
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    question, _ = await chat.say(GERMAN)
    assert "translation" not in question["meta"]
    assert question["meta"]["analysis"]["language"] == "de"


async def test_a_reply_already_in_the_customers_language_is_not_translated_again(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "tr")])
    # The translation, then small talk's model fails: its German canned reply is sent as is.
    fake.script("tr", Reply.ok("Thank you very much!"), Reply.error(401))
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    _, answer = await chat.say("Vielen herzlichen Dank!")
    assert answer["meta"]["handler"] == "small_talk"
    assert answer["text"] == LOCAL["de"]["thanks"]
    assert "translation" not in answer["meta"]
    assert len(fake.received("tr")) == 2


async def test_a_short_message_in_a_german_conversation_is_answered_in_german(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    chat, _, _ = await german_conversation(client, runtime, tenant, fake)
    # "Ok" is too short to tell: the conversation's language holds. Small talk's model fails.
    fake.script("tr", Reply.ok("Okay."), Reply.error(401))
    *_, question, answer = await chat.say("Ok")
    assert question["meta"]["analysis"]["language"] == "de"
    assert question["meta"]["analysis"]["language_assumed"] is True
    assert question["meta"]["translation"] == {"text": "Okay.", "from": "de", "to": "en"}
    assert answer["text"] == LOCAL["de"]["ok"]


async def test_an_agents_reply_goes_out_in_the_customers_language(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    chat, question, _ = await german_conversation(client, runtime, tenant, fake)
    cid = question["conversation_id"]
    r = await client.get(f"/api/v1/conversations/{cid}", headers=tenant.headers)
    assert r.json()["language"] == "de"
    agent, csrf, agent_id = await member_client(
        client, runtime, tenant, "ana@acme.example", Role.AGENT
    )
    async with aclosing(agent):
        url = f"/api/v1/conversations/{cid}/reply"
        # Not the owner yet: refused, and nothing is translated for it.
        r = await agent.post(url, json={"text": "Your parcel left today."}, headers=csrf)
        assert r.status_code == 409
        assert len(fake.received("tr")) == 2
        r = await agent.post(f"/api/v1/conversations/{cid}/claim", headers=csrf)
        assert r.status_code == 200, r.text

        fake.script("tr", Reply.ok("Ihr Paket ist heute losgegangen."))
        r = await agent.post(url, json={"text": "Your parcel left today."}, headers=csrf)
        assert r.status_code == 201, r.text
        sent = r.json()
        assert sent["text"] == "Ihr Paket ist heute losgegangen."
        assert sent["meta"] == {
            "handler": "agent",
            "member_id": agent_id,
            "translation": {"original": "Your parcel left today.", "from": "en", "to": "de"},
        }
        last = fake.received("tr")[-1]
        assert "Your parcel left today." in str(last.body["messages"])

        # An agent who writes German asks for no translation.
        r = await agent.post(url, json={"text": "Bis bald!", "translate": False}, headers=csrf)
        assert r.status_code == 201, r.text
        assert r.json()["text"] == "Bis bald!" and "translation" not in r.json()["meta"]
        assert len(fake.received("tr")) == 3
    history = await chat.history(cid)
    assert [m["text"] for m in history if m["sender"] == "agent"] == [
        "Ihr Paket ist heute losgegangen.",
        "Bis bald!",
    ]


async def test_a_german_reminder_is_confirmed_and_delivered_in_german(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "tr")])
    confirmed, reminded = "OK, ich erinnere Sie morgen um 9 Uhr.", "⏰ Erinnerung: Zahnarzt anrufen"
    fake.script(
        "tr", Reply.ok("Remind me tomorrow at 9am to call the dentist"), Reply.ok(confirmed)
    )
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    _, answer = await chat.say("Erinnere mich bitte morgen um 9 Uhr daran, den Zahnarzt anzurufen")
    assert answer["meta"]["handler"] == "reminder"
    assert answer["text"] == confirmed
    assert answer["meta"]["translation"]["original"].startswith("OK, I'll remind you on ")

    r = await client.get("/api/v1/reminders", headers=tenant.headers)
    [reminder] = r.json()
    assert reminder["text"] == "call the dentist"
    fake.script("tr", Reply.ok(reminded))
    [job_id] = await job_ids(runtime, reminder["id"])
    await run_now(runtime, job_id, due=reminder["id"])
    *_, delivered = await chat.history(answer["conversation_id"])
    assert delivered["text"] == reminded
    assert delivered["meta"]["translation"] == {
        "original": "⏰ Reminder: call the dentist",
        "from": "en",
        "to": "de",
    }


async def test_a_task_notice_reaches_a_german_customer_in_german(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    chat, question, _ = await german_conversation(client, runtime, tenant, fake)
    task = await create_task(
        client, tenant, title="Check the parcel", conversation_id=question["conversation_id"]
    )
    fake.script("tr", Reply.ok("Ihre Anfrage „Paket prüfen“ ist erledigt."))
    r = await client.post(f"{TASKS}/{task['id']}/complete", headers=tenant.headers)
    assert r.status_code == 200, r.text
    messages = await wait_for_messages(client, chat.sid, chat.headers, 3)
    notice = messages[-1]
    assert notice["text"] == "Ihre Anfrage „Paket prüfen“ ist erledigt."
    history = await chat.history(question["conversation_id"])
    assert history[-1]["meta"] == {
        "handler": "task",
        "task_id": task["id"],
        "translation": {
            "original": "Your request “Check the parcel” is done.",
            "from": "en",
            "to": "de",
        },
    }


async def send_from_a_workflow(
    runtime: Runtime, tenant_id: str, conversation_id: str, **config: Any
) -> dict[str, Any]:
    """Run a workflow's send_message node on the conversation; return the node's output."""
    node = SendMessage()
    data = {"text": "Your order has shipped.", "conversation_id": conversation_id, **config}
    async with live(runtime, tenant_id) as effects:
        step = replace(step_for(effects, tenant_id), config=node.Config.model_validate(data))
        result = await node.run(step)
    assert isinstance(result, Result)
    return dict(result.output)


async def test_a_workflows_message_reaches_a_german_customer_in_german(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    chat, question, _ = await german_conversation(client, runtime, tenant, fake)
    fake.script("tr", Reply.ok("Ihre Bestellung wurde versandt."))
    sent = await send_from_a_workflow(runtime, tenant.id, question["conversation_id"])
    messages = await wait_for_messages(client, chat.sid, chat.headers, 3)
    assert messages[-1]["id"] == sent["message_id"]  # named before the translation ran
    assert messages[-1]["text"] == "Ihre Bestellung wurde versandt."
    history = await chat.history(question["conversation_id"])
    assert history[-1]["meta"] == {
        "handler": "workflow",
        "instance_id": "run-1",
        "node_id": "n1",
        "translation": {"original": "Your order has shipped.", "from": "en", "to": "de"},
    }
    assert "Your order has shipped." in str(fake.received("tr")[-1].body["messages"])


async def test_a_workflows_message_already_in_german_goes_out_as_written(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    chat, question, _ = await german_conversation(client, runtime, tenant, fake)
    calls = len(fake.received("tr"))
    text = "Ihre Bestellung ist unterwegs."
    sent = await send_from_a_workflow(
        runtime, tenant.id, question["conversation_id"], text=text, translate=False
    )
    messages = await wait_for_messages(client, chat.sid, chat.headers, 3)
    assert messages[-1]["id"] == sent["message_id"] and messages[-1]["text"] == text
    assert "translation" not in (await chat.history(question["conversation_id"]))[-1]["meta"]
    assert len(fake.received("tr")) == calls
