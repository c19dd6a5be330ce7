"""Translation into the tenant's working language through the LLM gateway (a fake provider)."""

from __future__ import annotations

from sqlalchemy import select

from frontdesk.llm.models import LLMUsage
from frontdesk.runtime import Runtime
from frontdesk.understanding.transforms import translate
from tests.conftest import TenantCtx
from tests.llm.conftest import configure, openai_entry
from tests.llm.fake_provider import FakeProvider, Reply

GERMAN = "Meine Bestellung 4711 ist kaputt angekommen."


async def test_text_is_translated_and_the_call_accounted(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "primary")])
    fake.script("primary", Reply.ok("My order 4711 arrived broken.\n"))
    english = await translate(runtime, tenant.id, GERMAN, "de", "en")
    assert english == "My order 4711 arrived broken."
    (call,) = fake.received("primary")
    system, user = call.body["messages"]
    assert system["role"] == "system" and "'de'" in system["content"]
    assert "'en'" in system["content"] and "translation only" in system["content"]
    assert user == {"role": "user", "content": GERMAN}  # the original, as it was
    assert call.body["temperature"] == 0
    await runtime.llm.flush()
    async with runtime.db.tenant_session(tenant.id) as session:
        services = list(await session.scalars(select(LLMUsage.service)))
    assert services == ["translate"]


async def test_an_unknown_source_language_is_left_to_the_model(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "primary")])
    fake.script("primary", Reply.ok("Where is my parcel?"))
    assert await translate(runtime, tenant.id, "Où est mon colis ?", None, "en") == (
        "Where is my parcel?"
    )
    (call,) = fake.received("primary")
    assert "from the language" not in call.body["messages"][0]["content"]


async def test_nothing_to_translate_asks_no_model(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "primary")])
    assert await translate(runtime, tenant.id, "Hello there", "en", "en") is None
    assert await translate(runtime, tenant.id, "   ", "de", "en") is None
    assert not fake.requests


async def test_without_a_provider_or_with_it_failing_the_answer_is_none(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    assert await translate(runtime, tenant.id, GERMAN, "de", "en") is None  # not configured
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "primary")])
    fake.script("primary", *[Reply.error(500)] * 10)
    assert await translate(runtime, tenant.id, GERMAN, "de", "en") is None
    assert fake.received("primary")  # it was tried
