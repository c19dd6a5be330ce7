"""Knowledge QnA in the conversation: answers with their sources, "it" read from earlier turns."""

from __future__ import annotations

import httpx

from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.handlers.helpers import Chat
from tests.llm.conftest import configure, openai_entry
from tests.llm.fake_provider import FakeProvider, Reply

K = "/api/v1/knowledge"


async def hotels(client: httpx.AsyncClient, tenant: TenantCtx) -> None:
    r = await client.post(f"{K}/namespaces", headers=tenant.headers, json={"name": "default"})
    assert r.status_code in (201, 409), r.text
    for name, pool in (("Seaview Lodge", "an outdoor pool"), ("Alpine Inn", "no pool")):
        doc = {
            "source": f"hotels/{name}",
            "title": name,
            "format": "md",
            "entity": name,
            "text": f"# {name}\n\n{name} has {pool}. Breakfast at {name} is served 7 to 10.",
        }
        r = await client.post(f"{K}/namespaces/default/documents", headers=tenant.headers, json=doc)
        assert r.status_code == 201, r.text


async def test_a_question_the_faq_lacks_is_answered_from_the_knowledge_base(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await hotels(client, tenant)
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    reply = await chat.last_reply("Does the Seaview Lodge have a swimming pool?")
    assert reply["meta"]["handler"] == "knowledge"
    assert reply["meta"]["mode"] == "extractive"
    assert "outdoor pool" in reply["text"]
    assert "[1] Seaview Lodge" in reply["text"]
    [citation] = reply["meta"]["citations"]
    assert citation["title"] == "Seaview Lodge"

    await configure(runtime, tenant.id, providers=[openai_entry(fake, "kb")])
    fake.script("kb", Reply.ok("Breakfast is served from 7 to 10 [1]."))
    reply = await chat.last_reply("When is breakfast served there?")
    assert reply["meta"].get("mode") == "generated", (reply["meta"], reply["text"])
    assert reply["text"].startswith("Breakfast is served from 7 to 10 [1].")
    [call] = fake.received("kb")
    assert "Seaview Lodge" in str(call.body["messages"])  # "there" is the lodge named before
    assert "Alpine Inn" not in str(call.body["messages"])


async def test_nothing_relevant_hands_over(
    client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    await hotels(client, tenant)
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    reply = await chat.last_reply("Can I pay my electricity bill with bitcoin?")
    assert reply["meta"]["handler"] == "handoff"
