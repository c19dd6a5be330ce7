"""LLM fixtures: one fake provider server per session, fast policy settings, tenant set-up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from frontdesk.llm.schemas import LLMSettingsUpdate
from frontdesk.llm.service import update_settings
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from tests.llm.fake_provider import FakeProvider

FAST = {
    "llm_backoff_base_seconds": 0.01,
    "llm_backoff_max_seconds": 0.05,
    "llm_timeout_seconds": 10.0,
    "llm_breaker_failures": 3,
    "llm_breaker_cooldown_seconds": 0.3,
    "llm_breaker_refresh_seconds": 0.0,
    "llm_cache_enabled": False,
}


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeProvider]:
    server = FakeProvider().start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server: FakeProvider) -> FakeProvider:
    fake_server.reset()
    return fake_server


@pytest.fixture
def settings(settings: Settings, fake_server: FakeProvider) -> Settings:
    """The shared settings plus the fake server allowed through the SSRF guard."""
    return settings.model_copy(update={**FAST, "http_allowed_hosts": [fake_server.host]})


def openai_entry(fake: FakeProvider, name: str, key: str = "sk-test-openai-0001") -> dict[str, Any]:
    return {"name": name, "kind": "openai", "api_key": key, "base_url": fake.openai_url(name)}


def anthropic_entry(fake: FakeProvider, name: str, key: str = "sk-ant-test-0002") -> dict[str, Any]:
    return {
        "name": name,
        "kind": "anthropic",
        "api_key": key,
        "base_url": fake.anthropic_url(name),
    }


async def configure(runtime: Runtime, tenant_id: str, **change: Any) -> None:
    """Store LLM settings for a tenant through the real service, then drop cached state."""
    async with runtime.db.tenant_tx(tenant_id) as session:
        await update_settings(
            session,
            runtime.keyring,
            runtime.settings,
            tenant_id,
            LLMSettingsUpdate.model_validate(change),
        )
    await runtime.llm.forget(tenant_id)
