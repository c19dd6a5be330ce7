"""Small talk: canned replies in the tenant's tone, written ones when a model is configured."""

from __future__ import annotations

import httpx
import pytest

from frontdesk.handlers.small_talk import canned, kind_of
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.handlers.helpers import Chat
from tests.llm.conftest import configure, openai_entry
from tests.llm.fake_provider import FakeProvider, Reply


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi", "greeting"),
        ("Hello there!", "greeting"),
        ("Thank you so much 🙏", "thanks"),
        ("bye 👋", "bye"),
        ("how are you?", "how_are_you"),
        ("Are you a bot?", "who_are_you"),
        ("Guten Morgen", "greeting"),
        ("merci beaucoup", "thanks"),
        ("hi, my card was stolen", None),
        ("thanks, but where is my parcel?", None),
        ("", None),
        ("hi " * 50, None),
    ],
)
def test_only_pure_small_talk_is_small_talk(text: str, kind: str | None) -> None:
    assert kind_of(text) == kind


def test_canned_replies_follow_tone_and_language() -> None:
    assert canned("greeting", "formal", "en", "Ava") == "Good day. How may I assist you?"
    assert "Ava" in canned("who_are_you", "playful", "en", "Ava")
    assert canned("thanks", "formal", "de", "Ava").startswith("Gern geschehen")


async def test_a_greeting_gets_a_canned_reply_in_the_tenants_tone(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    r = await client.patch(
        "/api/v1/tenant",
        headers=tenant.headers,
        json={"settings": {"tone": "formal", "persona_name": "Ava"}},
    )
    assert r.status_code == 200, r.text
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    reply = await chat.last_reply("Hello!")
    assert reply["text"] == "Good day. How may I assist you?"
    assert reply["meta"]["handler"] == "small_talk"
    assert reply["meta"]["mode"] == "canned"
    reply = await chat.last_reply("who are you?")
    assert "Ava" in reply["text"]


async def test_with_a_model_the_reply_is_written_in_the_persona(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "chat")])
    await client.patch(
        "/api/v1/tenant",
        headers=tenant.headers,
        json={"settings": {"persona_name": "Max", "persona": "You work for Acme Bikes."}},
    )
    fake.script("chat", Reply.ok("Hey! Max from Acme Bikes here. What can I do for you?"))
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    reply = await chat.last_reply("hey there")
    assert reply["text"] == "Hey! Max from Acme Bikes here. What can I do for you?"
    assert reply["meta"]["mode"] == "generated"
    [call] = fake.received("chat")
    assert "Acme Bikes" in str(call.body["messages"])

    fake.script("chat", *[Reply.error(500)] * 10)  # the model fails: the canned reply
    reply = await chat.last_reply("thanks!")
    assert reply["meta"]["mode"] == "canned"
    assert reply["text"].startswith("You're very welcome")
