"""The gateway end to end through real HTTP to the fake provider server."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import select

from frontdesk.core.outbox import OutboxEvent
from frontdesk.llm import (
    AllProvidersFailed,
    BudgetExceeded,
    Completion,
    CompletionRequest,
    InvalidOutput,
    NotConfigured,
    NotConfiguredError,
    UnknownModel,
)
from frontdesk.llm.costs import count_text
from frontdesk.llm.models import LLMBreaker, LLMUsage
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.llm.conftest import anthropic_entry, configure, openai_entry
from tests.llm.fake_provider import FakeProvider, Reply


def ask(text: str = "When will my order arrive?", **extra: object) -> CompletionRequest:
    return CompletionRequest.model_validate(
        {"messages": [{"role": "user", "content": text}], **extra}
    )


async def two_providers(runtime: Runtime, tenant: TenantCtx, fake: FakeProvider) -> None:
    await configure(
        runtime,
        tenant.id,
        providers=[openai_entry(fake, "primary"), anthropic_entry(fake, "secondary")],
    )


async def usage_rows(runtime: Runtime, tenant_id: str) -> list[LLMUsage]:
    await runtime.llm.flush()
    async with runtime.db.tenant_session(tenant_id) as session:
        rows = await session.scalars(select(LLMUsage).order_by(LLMUsage.id))
        return list(rows.all())


async def test_no_provider_is_a_typed_result(runtime: Runtime, tenant: TenantCtx):
    result = await runtime.llm.complete(tenant.id, ask())
    assert isinstance(result, NotConfigured)
    with pytest.raises(NotConfiguredError):
        async for _ in runtime.llm.stream(tenant.id, ask()):
            pass


async def test_missing_key_leaves_the_provider_out(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    entry = openai_entry(fake, "primary")
    del entry["api_key"]
    await configure(runtime, tenant.id, providers=[entry])
    result = await runtime.llm.complete(tenant.id, ask())
    assert isinstance(result, NotConfigured)
    assert "primary" in result.detail
    assert fake.received("primary") == []


async def test_key_from_the_environment(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FRONTDESK_LLM_PRIMARY_API_KEY", "sk-from-env-0003")
    entry = openai_entry(fake, "primary")
    del entry["api_key"]
    await configure(runtime, tenant.id, providers=[entry])
    result = await runtime.llm.complete(tenant.id, ask())
    assert isinstance(result, Completion)
    assert fake.received("primary")[0].headers["authorization"] == "Bearer sk-from-env-0003"


async def test_answer_with_exact_cost_from_reported_usage(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await two_providers(runtime, tenant, fake)
    fake.script("primary", Reply.ok("Three to five days.", tokens_in=1234))
    result = await runtime.llm.complete(tenant.id, ask(service="qna"))
    assert isinstance(result, Completion)
    assert (result.text, result.provider, result.model) == (
        "Three to five days.",
        "primary",
        "gpt-4o-mini",  # balanced + a simple question → the cheap model
    )
    assert (result.tokens_in, result.tokens_out) == (1234, 4)
    # gpt-4o-mini: $0.15 / $0.60 per million tokens.
    expected = (Decimal("0.15") * 1234 + Decimal("0.60") * 4) / 1_000_000
    assert Decimal(result.cost_usd) == expected
    [row] = await usage_rows(runtime, tenant.id)
    assert (row.service, row.provider, row.model, row.tokens_in, row.tokens_out) == (
        "qna",
        "primary",
        "gpt-4o-mini",
        1234,
        4,
    )
    assert Decimal(row.cost_pusd) / 10**12 == expected
    assert row.latency_ms > 0 and not row.cache_hit


async def test_max_tokens_capped_and_tone_prepended(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(
        runtime,
        tenant.id,
        providers=[openai_entry(fake, "primary")],
        max_tokens_cap=120,
        tone="Be warm and brief.",
    )
    await runtime.llm.complete(tenant.id, ask(max_tokens=4000, system="You sell shoes."))
    await runtime.llm.complete(tenant.id, ask(max_tokens=50))
    first, second = fake.received("primary")
    assert first.body["max_tokens"] == 120
    assert second.body["max_tokens"] == 50
    assert first.body["messages"][0] == {
        "role": "system",
        "content": "Be warm and brief.\n\nYou sell shoes.",
    }


async def test_default_cap_is_500(runtime: Runtime, tenant: TenantCtx, fake: FakeProvider):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "primary")])
    await runtime.llm.complete(tenant.id, ask())
    assert fake.received("primary")[0].body["max_tokens"] == 500


async def test_routing_by_preference_and_complexity(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "primary")])
    for request in (
        ask("Hi", preference="premium"),
        ask("Explain why my parcel was returned and compare the options"),
        ask("Hi", preference="cheap"),
    ):
        await runtime.llm.complete(tenant.id, request)
    models = [r.body["model"] for r in fake.received("primary")]
    assert models == ["gpt-4.1", "gpt-4.1-mini", "gpt-4o-mini"]


async def test_unknown_model(runtime: Runtime, tenant: TenantCtx, fake: FakeProvider):
    await two_providers(runtime, tenant, fake)
    with pytest.raises(UnknownModel):
        await runtime.llm.complete(tenant.id, ask(model="gpt-99-ultra"))
    result = await runtime.llm.complete(tenant.id, ask(model="claude-opus-4-6"))
    assert isinstance(result, Completion) and result.provider == "secondary"
    assert fake.received("primary") == []


async def test_fallback_on_primary_failure(runtime: Runtime, tenant: TenantCtx, fake: FakeProvider):
    await two_providers(runtime, tenant, fake)
    fake.script("primary", Reply.error(500), Reply.error(500), Reply.error(500))
    result = await runtime.llm.complete(tenant.id, ask())
    assert isinstance(result, Completion)
    assert result.provider == "secondary" and result.text == "Hello from secondary"
    assert len(fake.received("primary")) == 3  # retried (5xx is retryable), then fell back
    assert fake.received("secondary")[0].path == "/secondary/v1/messages"


async def test_non_retryable_error_falls_back_at_once(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await two_providers(runtime, tenant, fake)
    fake.script("primary", Reply.error(401))
    result = await runtime.llm.complete(tenant.id, ask())
    assert isinstance(result, Completion) and result.provider == "secondary"
    assert len(fake.received("primary")) == 1


async def test_retries_honour_retry_after(runtime: Runtime, tenant: TenantCtx, fake: FakeProvider):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "primary")])
    fake.script("primary", Reply.error(429, retry_after=0.4), Reply.ok("finally"))
    result = await runtime.llm.complete(tenant.id, ask())
    assert isinstance(result, Completion) and result.text == "finally"
    first, second = fake.received("primary")
    assert second.at - first.at >= 0.4


async def test_retry_after_beyond_the_cap_falls_back_now(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await two_providers(runtime, tenant, fake)
    fake.script("primary", Reply.error(429, retry_after=3600))
    started = asyncio.get_running_loop().time()
    result = await runtime.llm.complete(tenant.id, ask())
    assert isinstance(result, Completion) and result.provider == "secondary"
    assert asyncio.get_running_loop().time() - started < 2


async def test_429_storm_everywhere_is_a_typed_error_without_loops(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await two_providers(runtime, tenant, fake)
    fake.script("primary", *[Reply.error(429, retry_after=0)] * 10)
    fake.script("secondary", *[Reply.error(529)] * 10)
    with pytest.raises(AllProvidersFailed) as caught:
        await runtime.llm.complete(tenant.id, ask())
    # Each provider gets one pass of at most llm_max_attempts tries: no fallback loop.
    assert len(fake.received("primary")) == 3
    assert len(fake.received("secondary")) == 3
    assert "HTTP 429" in caught.value.detail and "HTTP 529" in caught.value.detail


async def test_hanging_provider_times_out_then_falls_back(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    runtime.settings.llm_timeout_seconds = 1.5
    runtime.settings.llm_max_attempts = 1
    runtime.llm.chain.policy = type(runtime.llm.chain.policy).from_settings(runtime.settings)
    await two_providers(runtime, tenant, fake)
    fake.script("primary", Reply.hang(30))
    started = asyncio.get_running_loop().time()
    result = await runtime.llm.complete(tenant.id, ask())
    assert isinstance(result, Completion) and result.provider == "secondary"
    assert asyncio.get_running_loop().time() - started < 10


async def test_malformed_provider_json_falls_back(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await two_providers(runtime, tenant, fake)
    fake.script("primary", Reply.malformed())
    result = await runtime.llm.complete(tenant.id, ask())
    assert isinstance(result, Completion) and result.provider == "secondary"


async def test_breaker_opens_then_half_opens_and_closes(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    runtime.settings.llm_max_attempts = 1
    runtime.llm.chain.policy = type(runtime.llm.chain.policy).from_settings(runtime.settings)
    await two_providers(runtime, tenant, fake)
    fake.script("primary", *[Reply.error(500)] * 3)
    for _ in range(3):  # llm_breaker_failures = 3
        result = await runtime.llm.complete(tenant.id, ask())
        assert isinstance(result, Completion) and result.provider == "secondary"
    state = await runtime.llm.breakers.state(tenant.id, "primary")
    assert state.state == "open" and state.failures == 3

    # Open: the primary is skipped without a request.
    await runtime.llm.complete(tenant.id, ask())
    assert len(fake.received("primary")) == 3

    # After the cool-down one trial goes through; it succeeds, so the breaker closes.
    await asyncio.sleep(0.35)
    result = await runtime.llm.complete(tenant.id, ask())
    assert isinstance(result, Completion) and result.provider == "primary"
    async with runtime.db.tenant_session(tenant.id) as session:
        row = await session.scalar(select(LLMBreaker).where(LLMBreaker.provider == "primary"))
    assert row is not None and (row.state, row.failures) == ("closed", 0)


async def test_failed_trial_opens_the_breaker_again(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    runtime.settings.llm_max_attempts = 1
    runtime.llm.chain.policy = type(runtime.llm.chain.policy).from_settings(runtime.settings)
    await two_providers(runtime, tenant, fake)
    fake.script("primary", *[Reply.error(503)] * 4)
    for _ in range(3):
        await runtime.llm.complete(tenant.id, ask())
    await asyncio.sleep(0.35)
    await runtime.llm.complete(tenant.id, ask())  # the trial fails
    state = await runtime.llm.breakers.state(tenant.id, "primary")
    assert state.state == "open" and len(fake.received("primary")) == 4


async def test_breaker_state_is_shared_through_the_database(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    """A second gateway (another process) sees the breaker the first one opened."""
    from frontdesk.llm.client import LLMGateway

    runtime.settings.llm_max_attempts = 1
    runtime.llm.chain.policy = type(runtime.llm.chain.policy).from_settings(runtime.settings)
    await two_providers(runtime, tenant, fake)
    fake.script("primary", *[Reply.error(500)] * 3)
    for _ in range(3):
        await runtime.llm.complete(tenant.id, ask())
    other = LLMGateway(runtime.db, runtime.keyring, runtime.settings)
    try:
        result = await other.complete(tenant.id, ask())
        assert isinstance(result, Completion) and result.provider == "secondary"
        assert len(fake.received("primary")) == 3
    finally:
        await other.aclose()


async def test_budget_alert_at_80_percent_once_then_block_at_100(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    # gpt-4o-mini, 1,000,000 input tokens reported = $0.15 a call; budget $0.50.
    await configure(
        runtime,
        tenant.id,
        providers=[openai_entry(fake, "primary")],
        monthly_budget_usd=0.5,
        budget_action="block",
    )
    for _ in range(4):
        fake.script("primary", Reply.ok("ok", tokens_in=1_000_000))
    for _ in range(3):
        await runtime.llm.complete(tenant.id, ask())  # $0.45 → 90 %: alert
    await runtime.llm.flush()
    async with runtime.db.tenant_session(tenant.id) as session:
        alerts = (
            await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "llm.budget.alert"))
        ).all()
    assert len(alerts) == 1 and alerts[0].payload["budget_usd"] == "0.5"
    await runtime.llm.complete(tenant.id, ask())  # $0.60: over budget now
    with pytest.raises(BudgetExceeded):
        await runtime.llm.complete(tenant.id, ask())
    await runtime.llm.flush()
    async with runtime.db.tenant_session(tenant.id) as session:
        count = len(
            (
                await session.scalars(
                    select(OutboxEvent).where(OutboxEvent.type == "llm.budget.alert")
                )
            ).all()
        )
    assert count == 1
    assert len(fake.received("primary")) == 4


async def test_budget_downgrade_uses_the_cheap_model(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(
        runtime,
        tenant.id,
        providers=[openai_entry(fake, "primary")],
        monthly_budget_usd=0.000001,
        budget_action="downgrade",
    )
    await runtime.llm.complete(tenant.id, ask("Hi", preference="premium"))
    await runtime.llm.complete(tenant.id, ask("Hi", preference="premium"))
    models = [r.body["model"] for r in fake.received("primary")]
    assert models == ["gpt-4.1", "gpt-4o-mini"]


async def test_local_models_cost_nothing(runtime: Runtime, tenant: TenantCtx, fake: FakeProvider):
    await configure(
        runtime,
        tenant.id,
        providers=[{"name": "ollama", "kind": "local", "base_url": fake.openai_url("ollama")}],
    )
    result = await runtime.llm.complete(tenant.id, ask())
    assert isinstance(result, Completion)
    assert (result.model, result.cost_usd) == ("llama3.2", "0")
    assert "authorization" in fake.received("ollama")[0].headers


SCHEMA = {
    "type": "object",
    "properties": {"days": {"type": "integer"}},
    "required": ["days"],
    "additionalProperties": False,
}


async def test_schema_invalid_output_is_repaired(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "primary")])
    fake.script("primary", Reply.json({"days": "five"}), Reply.json({"days": 5}))
    result = await runtime.llm.complete(tenant.id, ask(json_schema=SCHEMA))
    assert isinstance(result, Completion) and result.data == {"days": 5}
    first, second = fake.received("primary")
    assert first.body["response_format"]["type"] == "json_schema"
    repair = second.body["messages"][-1]["content"]
    assert "days" in repair and "is not of type 'integer'" in repair
    assert len(await usage_rows(runtime, tenant.id)) == 2  # both calls are accounted


async def test_schema_invalid_twice_is_rejected(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(runtime, tenant.id, providers=[anthropic_entry(fake, "claude")])
    fake.script("claude", Reply.ok("not json at all"), Reply.json({"weeks": 1}))
    with pytest.raises(InvalidOutput, match="'days' is a required property"):
        await runtime.llm.complete(tenant.id, ask(json_schema=SCHEMA))
    assert "JSON" in fake.received("claude")[0].body["system"]


async def test_json_mode(runtime: Runtime, tenant: TenantCtx, fake: FakeProvider):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "primary")])
    fake.script("primary", Reply.ok('```json\n{"a": 1}\n```'))
    result = await runtime.llm.complete(tenant.id, ask(json_mode=True))
    assert isinstance(result, Completion) and result.data == {"a": 1}
    assert fake.received("primary")[0].body["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_streaming_yields_tokens_in_order(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider, kind: str
):
    entry = openai_entry(fake, "p") if kind == "openai" else anthropic_entry(fake, "p")
    await configure(runtime, tenant.id, providers=[entry])
    text = "one two three four five six seven"
    fake.script("p", Reply.slow(text, 0.01))
    pieces = [piece async for piece in runtime.llm.stream(tenant.id, ask())]
    assert pieces == ["one ", "two ", "three ", "four ", "five ", "six ", "seven"]
    [row] = await usage_rows(runtime, tenant.id)
    assert (row.tokens_in, row.tokens_out) == (12, 7)


async def test_stream_falls_back_before_the_first_token(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await two_providers(runtime, tenant, fake)
    fake.script("primary", Reply.error(400))
    pieces = [piece async for piece in runtime.llm.stream(tenant.id, ask())]
    assert "".join(pieces) == "Hello from secondary"


async def test_concurrent_calls_are_all_accounted(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    """Usage is written behind the calls in batches: nothing lost, spend equals the rows."""
    from frontdesk.llm.models import LLMSpend

    await configure(
        runtime, tenant.id, providers=[openai_entry(fake, "primary")], monthly_budget_usd=100
    )
    results = await asyncio.gather(*[runtime.llm.complete(tenant.id, ask()) for _ in range(20)])
    assert all(isinstance(r, Completion) for r in results)
    rows = await usage_rows(runtime, tenant.id)
    assert len(rows) == 20
    async with runtime.db.tenant_session(tenant.id) as session:
        spend = await session.scalar(select(LLMSpend.cost_pusd))
    assert spend == sum(row.cost_pusd for row in rows) > 0
    assert runtime.llm.usage.unwritten(tenant.id) == 0


async def test_a_stream_left_early_is_still_accounted(
    runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "primary")])
    fake.script("primary", Reply.slow("one two three four five six", 0.01))
    stream = runtime.llm.stream(tenant.id, ask())
    assert await anext(stream) == "one "
    assert await anext(stream) == "two "
    await stream.aclose()  # type: ignore[attr-defined]
    [row] = await usage_rows(runtime, tenant.id)
    # Counted locally: the stream ended before the provider reported usage.
    assert row.tokens_out == count_text("one two ") and row.tokens_in > 0
