"""On a provider's channel the due reminder is queued and goes out through its send job."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from tests.channels import payloads
from tests.channels.fake_provider import FakeProvider
from tests.channels.helpers import create_channel, path_of, telegram_headers, wait_until
from tests.conftest import TenantCtx
from tests.reminders.helpers import create, job_ids, run_now


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProvider]:
    server = FakeProvider().start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, fake: FakeProvider) -> Settings:
    fake.reset()
    return settings.model_copy(
        update={
            "channel_api_urls": {"telegram": fake.url},
            "http_allowed_hosts": [fake.hostport],
            "http_timeout_seconds": 1.0,
        }
    )


async def test_telegram_reminder_is_sent_by_the_provider(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "telegram")
    body = payloads.dumps(payloads.telegram_text(text="What is your return policy?"))
    r = await client.post(path_of(channel), content=body, headers=telegram_headers(channel))
    assert r.status_code == 200, r.text
    await fake.await_for(1)  # the FAQ answer

    async def conversation() -> list[dict[str, str]]:
        r = await client.get("/api/v1/conversations", headers=tenant.headers)
        return [c for c in r.json() if c["channel_id"] == channel["id"]]

    [conv] = await wait_until(conversation)
    reminder = await create(client, tenant, conv["id"])
    [job_id] = await job_ids(runtime, reminder["id"])
    await run_now(runtime, job_id, due=reminder["id"])

    requests = await fake.await_for(2)
    assert requests[-1].json["text"] == "⏰ Reminder: call the bank"
    assert requests[-1].json["chat_id"] in (1111111, "1111111")

    async def sent() -> bool:
        r = await client.get(f"/api/v1/conversations/{conv['id']}", headers=tenant.headers)
        return bool(r.json()["messages"][-1]["status"] == "sent")

    assert await wait_until(sent)
