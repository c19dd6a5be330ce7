from __future__ import annotations

from collections.abc import Iterator

import pytest

from frontdesk.settings import Settings
from tests.channels.fake_provider import FakeProvider

PROVIDER_TYPES = ("whatsapp", "messenger", "instagram", "telegram", "slack", "twilio")
PUBLIC_BASE = "https://frontdesk.example.com"


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
def settings(settings: Settings, fake: FakeProvider) -> Settings:
    """The shared settings, with every provider API pointed at the fake server."""
    return settings.model_copy(
        update={
            "channel_api_urls": {t: fake.url for t in PROVIDER_TYPES},
            "http_allowed_hosts": [fake.hostport],
            "http_timeout_seconds": 1.0,
            "queue_max_attempts": 3,
            "queue_backoff_base_seconds": 0.05,
            "queue_backoff_max_seconds": 0.1,
            "public_base_url": PUBLIC_BASE,
        }
    )
