"""The semantic cache through the gateway, with the real offline MiniLM embedder."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from frontdesk.llm import Completion, CompletionRequest
from frontdesk.llm.models import LLMCacheEntry, LLMUsage
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from tests.conftest import TenantCtx
from tests.llm.conftest import configure, openai_entry
from tests.llm.fake_provider import FakeProvider, Reply


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"llm_cache_enabled": True})


def ask(*texts: str, **extra: object) -> CompletionRequest:
    roles = ["user", "assistant"]
    messages = [{"role": roles[i % 2], "content": t} for i, t in enumerate(texts)]
    return CompletionRequest.model_validate({"messages": messages, **extra})


async def setup(runtime: Runtime, tenant: TenantCtx, fake: FakeProvider) -> None:
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "primary")])
    fake.script("primary", Reply.ok("Three to five business days."), Reply.ok("Thirty days."))


async def test_hit_on_a_paraphrase_miss_on_a_different_question(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await setup(runtime, tenant, fake)
    first = await runtime.llm.complete(tenant.id, ask("How long does shipping take?"))
    again = await runtime.llm.complete(tenant.id, ask("How long will shipping take?"))
    other = await runtime.llm.complete(tenant.id, ask("What is your return policy?"))
    assert isinstance(first, Completion) and not first.cached
    assert isinstance(again, Completion) and again.cached
    assert again.text == "Three to five business days." and again.cost_usd == "0"
    assert isinstance(other, Completion) and not other.cached and other.text == "Thirty days."
    assert len(fake.received("primary")) == 2
    await runtime.llm.flush()
    async with runtime.db.tenant_session(tenant.id) as session:
        hits = (await session.scalars(select(LLMUsage.cache_hit).order_by(LLMUsage.id))).all()
    assert hits == [False, True, False]
    metrics = runtime.metrics.llm_cache
    assert metrics.labels("hit")._value.get() == 1
    assert metrics.labels("miss")._value.get() == 2


async def test_opt_out_multi_turn_and_json_are_never_cached(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await setup(runtime, tenant, fake)
    question = "How long does shipping take?"
    await runtime.llm.complete(tenant.id, ask(question))
    await runtime.llm.complete(tenant.id, ask(question, cache=False))
    await runtime.llm.complete(tenant.id, ask("Hi", "Hello! How can I help?", question))
    fake.script("primary", Reply.json({"days": 3}))
    await runtime.llm.complete(tenant.id, ask(question, json_mode=True))
    assert len(fake.received("primary")) == 4
    async with runtime.db.tenant_session(tenant.id) as session:
        assert len((await session.scalars(select(LLMCacheEntry))).all()) == 1


async def test_scope_separates_system_prompts_and_knowledge_versions(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await setup(runtime, tenant, fake)
    question = "How long does shipping take?"
    await runtime.llm.complete(tenant.id, ask(question, knowledge_version="v1"))
    second = await runtime.llm.complete(tenant.id, ask(question, knowledge_version="v2"))
    third = await runtime.llm.complete(tenant.id, ask(question, system="Answer in French."))
    assert isinstance(second, Completion) and not second.cached
    assert isinstance(third, Completion) and not third.cached


async def test_entries_expire(runtime: Runtime, tenant: TenantCtx, fake: FakeProvider):
    runtime.llm.cache._ttl = runtime.llm.cache._ttl.__class__(seconds=0.2)
    await setup(runtime, tenant, fake)
    await runtime.llm.complete(tenant.id, ask("How long does shipping take?"))
    await asyncio.sleep(0.3)
    late = await runtime.llm.complete(tenant.id, ask("How long does shipping take?"))
    assert isinstance(late, Completion) and not late.cached


async def test_other_processes_load_entries_from_the_database(
    runtime: Runtime, tenant: TenantCtx, other_tenant: TenantCtx, fake: FakeProvider
):
    from frontdesk.llm.client import LLMGateway

    await setup(runtime, tenant, fake)
    await configure(runtime, other_tenant.id, providers=[openai_entry(fake, "primary")])
    await runtime.llm.complete(tenant.id, ask("How long does shipping take?"))
    other = LLMGateway(runtime.db, runtime.keyring, runtime.settings)
    try:
        hit = await other.complete(tenant.id, ask("How long does the shipping take?"))
        miss = await other.complete(other_tenant.id, ask("How long does shipping take?"))
    finally:
        await other.aclose()
    assert isinstance(hit, Completion) and hit.cached
    assert isinstance(miss, Completion) and not miss.cached  # tenants never share answers
