"""The scaled shape: API nodes sharing one Redis enforce one rate limit between them."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from frontdesk.app import create_app
from frontdesk.core.ratelimit import RedisRateLimiter
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from tests.conftest import TenantCtx


@pytest.fixture
async def settings(settings: Settings, redis_url: str) -> Settings:
    async with Redis.from_url(redis_url) as admin:
        await admin.flushdb()
    update = {"redis_url": redis_url, "public_rate_per_ip": 0.01, "public_burst_per_ip": 3}
    return settings.model_copy(update=update)


async def test_two_api_nodes_share_a_visitors_limit(
    settings: Settings, runtime: Runtime, client: httpx.AsyncClient, tenant: TenantCtx
):
    assert isinstance(runtime.limiter, RedisRateLimiter)
    other = create_app(settings)  # a second API node on the same database and Redis
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as second:
            url = f"/api/v1/webchat/{tenant.slug}/sessions"
            codes = [(await node.post(url)).status_code for node in (client, second) * 3]
    assert codes == [201, 201, 201, 429, 429, 429]
