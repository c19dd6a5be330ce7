"""Knowledge answers through the gateway: generated with citations, extractive when it fails."""

from __future__ import annotations

import httpx

from tests.conftest import TenantCtx
from tests.llm.conftest import openai_entry
from tests.llm.fake_provider import FakeProvider, Reply

K = "/api/v1/knowledge"
QUESTION = {"query": "how many days do I have to return something?", "namespace": "help"}


async def knowledge(client: httpx.AsyncClient, tenant: TenantCtx) -> None:
    r = await client.post(f"{K}/namespaces", headers=tenant.headers, json={"name": "help"})
    assert r.status_code == 201, r.text
    doc = {
        "source": "kb/returns",
        "title": "Returns",
        "format": "md",
        "text": "# Returns\n\nYou can return any item within 30 days for a full refund.",
    }
    r = await client.post(f"{K}/namespaces/help/documents", headers=tenant.headers, json=doc)
    assert r.status_code == 201, r.text


async def test_answer_is_generated_from_the_sources(
    client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    await knowledge(client, tenant)
    r = await client.patch(
        "/api/v1/llm/settings",
        headers=tenant.headers,
        json={"providers": [openai_entry(fake, "primary")]},
    )
    assert r.status_code == 200, r.text
    fake.script("primary", Reply.ok("You have 30 days to return it [1]."))
    answer = (await client.post(f"{K}/answer", headers=tenant.headers, json=QUESTION)).json()
    assert answer["mode"] == "generated"
    assert answer["answer"] == "You have 30 days to return it [1]."
    assert [c["number"] for c in answer["citations"]] == [1]
    [call] = fake.received("primary")
    assert "30 days for a full refund" in str(call.body["messages"])  # grounded

    # Every provider failing: the customer still gets the passage, with its citation.
    fake.script("primary", *[Reply.error(500)] * 10)
    answer = (await client.post(f"{K}/answer", headers=tenant.headers, json=QUESTION)).json()
    assert answer["mode"] == "extractive" and answer["answer"].endswith("[1]")


async def test_without_a_provider_the_answer_is_extractive(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    await knowledge(client, tenant)
    answer = (await client.post(f"{K}/answer", headers=tenant.headers, json=QUESTION)).json()
    assert answer["mode"] == "extractive" and "30 days" in answer["answer"]
