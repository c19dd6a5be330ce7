"""People's names read by the LLM, only where the message may hold one and writes it."""

from __future__ import annotations

import httpx
import pytest

from frontdesk.runtime import Runtime
from frontdesk.understanding.names import located, may_name
from tests.conftest import TenantCtx
from tests.llm.conftest import configure, fake, fake_server, openai_entry, settings
from tests.llm.fake_provider import FakeProvider, Reply

__all__ = ["fake", "fake_server", "settings"]  # the fake LLM's fixtures


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi, my name is anna schmidt", True),
        ("I'm Tom and my order is late", True),
        ("Please ask Mrs Baker to call me", True),
        ("Ich heiße Jürgen", True),
        ("je m'appelle Chloé", True),
        ("When will my order arrive?", False),
        ("I'm waiting for my refund", False),
        ("Does the Seaview Lodge have a pool?", False),
    ],
)
def test_only_messages_that_may_name_someone_are_asked_about(text: str, expected: bool) -> None:
    assert may_name(text) is expected


def test_a_name_counts_only_when_it_is_written() -> None:
    [anna] = located("my name is anna schmidt", ["anna schmidt", "Bob Builder", ""])
    assert (anna.type, anna.value, anna.start) == ("person_name", "Anna Schmidt", 11)


async def test_names_come_from_the_model_when_configured(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    url = "/api/v1/understanding/analyze"
    text = {"text": "Hi, my name is Anna Schmidt, my order ORD-123 is late"}
    r = await client.post(url, headers=tenant.headers, json=text)
    assert not [e for e in r.json()["entities"] if e["type"] == "person_name"]  # no model

    await configure(runtime, tenant.id, providers=[openai_entry(fake, "ner")])
    fake.script("ner", Reply.json({"names": ["Anna Schmidt", "Invented Person"]}))
    r = await client.post(url, headers=tenant.headers, json=text)
    names = [e for e in r.json()["entities"] if e["type"] == "person_name"]
    assert [n["value"] for n in names] == ["Anna Schmidt"]

    r = await client.post(url, headers=tenant.headers, json={"text": "Where is my parcel?"})
    assert len(fake.received("ner")) == 1  # nothing to ask about
