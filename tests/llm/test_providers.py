"""Each provider module against the fake server: wire format, streaming, error mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.llm.errors import ProviderError, ProviderTimeout
from frontdesk.llm.providers.base import ProviderCall, StreamUsage
from frontdesk.llm.providers.registry import DEFAULT_MODELS, PROVIDERS, build_provider
from frontdesk.llm.schemas import ProviderConfig
from frontdesk.settings import Settings
from tests.conftest import base_settings
from tests.llm.fake_provider import FakeProvider, Reply

KEY = "sk-live-should-never-leak-0123456789"


@pytest.fixture
def plain_settings(tmp_path: Path, fake: FakeProvider) -> Settings:
    return base_settings(tmp_path, http_allowed_hosts=[fake.host])


def config(fake: FakeProvider, kind: str, label: str) -> ProviderConfig:
    urls = {
        "anthropic": fake.anthropic_url(label),
        "azure": fake.azure_url(label),
    }
    return ProviderConfig(
        name=label,
        kind=kind,  # type: ignore[arg-type]
        api_key=KEY,
        base_url=urls.get(kind, fake.openai_url(label)),
        models=DEFAULT_MODELS[kind],
    )


def call(**extra: object) -> ProviderCall:
    values: dict[str, object] = {
        "model": "m-1",
        "messages": [{"role": "user", "content": "Where is my parcel?"}],
        "system": "Be brief.",
        "max_tokens": 64,
        "timeout": 10.0,
    }
    values.update(extra)
    return ProviderCall(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", sorted(PROVIDERS))
async def test_complete_and_stream(fake: FakeProvider, plain_settings: Settings, kind: str):
    provider = build_provider(config(fake, kind, kind), plain_settings)
    try:
        reply = await provider.complete(call())
        assert (reply.text, reply.tokens_in, reply.tokens_out) == (f"Hello from {kind}", 12, 3)
        items = [item async for item in provider.stream(call())]
        assert items[:-1] == ["Hello ", "from ", kind]
        assert items[-1] == StreamUsage(12, 3)
    finally:
        await provider.aclose()
    request = fake.received(kind)[0]
    assert request.body["max_tokens"] == 64 and request.body["model"] == "m-1"
    # SDK retries are off: the gateway's policy chain owns them.
    assert request.headers.get("x-stainless-retry-count") == "0"
    if kind == "azure":
        assert request.path == "/azure/openai/deployments/m-1/chat/completions"
        assert request.headers["api-key"] == KEY
    elif kind == "anthropic":
        assert request.body["system"] == "Be brief."
    else:
        assert request.body["messages"][0] == {"role": "system", "content": "Be brief."}


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_errors_are_typed_and_keyless(
    fake: FakeProvider, plain_settings: Settings, kind: str
):
    provider = build_provider(config(fake, kind, kind), plain_settings)
    fake.script(
        kind,
        Reply.error(429, retry_after=7),
        Reply.error(503),
        Reply.error(401),
        Reply.malformed(),
        Reply.hang(5),
    )
    errors: list[ProviderError] = []
    try:
        for timeout in (10.0, 10.0, 10.0, 10.0, 1.0):
            with pytest.raises(ProviderError) as caught:
                await provider.complete(call(timeout=timeout))
            errors.append(caught.value)
    finally:
        await provider.aclose()
    rate, unavailable, unauthorized, malformed, hung = errors
    assert (rate.status_code, rate.retryable, rate.retry_after) == (429, True, 7.0)
    assert (unavailable.status_code, unavailable.retryable) == (503, True)
    assert (unauthorized.status_code, unauthorized.retryable) == (401, False)
    assert malformed.detail.endswith("malformed response") and not malformed.retryable
    assert isinstance(hung, ProviderTimeout) and hung.retryable
    for error in errors:
        assert KEY not in str(error) and KEY not in repr(error.extra)


async def test_private_address_is_refused(tmp_path: Path):
    settings = base_settings(tmp_path)  # nothing allowed
    cfg = ProviderConfig(
        "evil", "openai", KEY, "http://169.254.169.254/v1", DEFAULT_MODELS["openai"]
    )
    provider = build_provider(cfg, settings)
    try:
        with pytest.raises(ProviderError, match="address not allowed") as caught:
            await provider.complete(call())
    finally:
        await provider.aclose()
    assert not caught.value.retryable


def test_config_repr_hides_the_key(fake: FakeProvider):
    assert KEY not in repr(config(fake, "openai", "x"))


def test_importing_the_gateway_loads_no_sdk():
    import subprocess
    import sys

    code = (
        "import sys, frontdesk.llm; "
        "heavy = ('openai', 'anthropic', 'tiktoken', 'genai_prices', 'torch', 'numpy'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_a_stream_that_is_no_event_stream_is_malformed(
    fake: FakeProvider, plain_settings: Settings, kind: str
):
    provider = build_provider(config(fake, kind, kind), plain_settings)
    fake.script(kind, Reply.malformed())
    try:
        with pytest.raises(ProviderError, match="malformed"):
            async for _ in provider.stream(call()):
                pass
    finally:
        await provider.aclose()
