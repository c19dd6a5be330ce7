"""Messages in another language are handled in the tenant's own, the original kept."""

from __future__ import annotations

import httpx

from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.handlers.helpers import Chat
from tests.llm.conftest import configure, openai_entry
from tests.llm.fake_provider import FakeProvider, Reply

GERMAN = "Wann kommt meine Bestellung bei mir zu Hause an?"


async def test_a_german_question_is_answered_from_its_translation(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    r = await client.patch(
        "/api/v1/tenant", headers=tenant.headers, json={"settings": {"languages": ["de"]}}
    )
    assert r.status_code == 200, r.text
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "tr")])
    fake.script("tr", Reply.ok("When will my order arrive at my home?"))
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    history = await chat.say(GERMAN)
    question, answer = history
    assert question["text"] == GERMAN
    assert question["meta"]["translation"] == {
        "text": "When will my order arrive at my home?",
        "from": "de",
        "to": "en",
    }
    assert question["meta"]["analysis"]["language"] == "de"
    assert answer["meta"]["handler"] == "faq"
    [call] = fake.received("tr")
    assert GERMAN in str(call.body["messages"])


async def test_without_a_model_the_original_is_used(client: httpx.AsyncClient, tenant: TenantCtx):
    await client.patch(
        "/api/v1/tenant", headers=tenant.headers, json={"settings": {"languages": ["de"]}}
    )
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    question, _ = await chat.say(GERMAN)
    assert "translation" not in question["meta"]
    assert question["meta"]["analysis"]["language"] == "de"
