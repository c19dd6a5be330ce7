"""RateLimiter: token buckets per key, with a burst, a refill rate and a sensible retry_after."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from frontdesk.core.errors import RateLimited
from frontdesk.core.ratelimit import Bucket, Limiter, RateLimiter, RedisRateLimiter

T0 = 1000.0


def allowed(limiter: RateLimiter, key: str, rate: float, burst: int, now: float) -> bool:
    try:
        limiter.take(key, rate, burst, now)
    except RateLimited:
        return False
    return True


def test_burst_is_allowed_then_limited():
    limiter = RateLimiter()
    for _ in range(5):
        limiter.take("ip:1", rate=2.0, burst=5, now=T0)
    with pytest.raises(RateLimited) as caught:
        limiter.take("ip:1", rate=2.0, burst=5, now=T0)
    error = caught.value
    assert error.status == 429
    assert error.code == "rate_limited"
    assert error.retry_after == pytest.approx(0.5)  # one token at 2 tokens/s
    assert error.extra["retry_after"] == pytest.approx(0.5)


def test_retry_after_is_when_the_next_token_arrives():
    limiter = RateLimiter()
    limiter.take("k", rate=4.0, burst=1, now=T0)
    with pytest.raises(RateLimited) as caught:
        limiter.take("k", rate=4.0, burst=1, now=T0 + 0.1)
    assert caught.value.retry_after == pytest.approx(0.15)
    # Waiting exactly that long is enough.
    limiter.take("k", rate=4.0, burst=1, now=T0 + 0.25)


def test_rejected_hits_do_not_push_the_wait_further():
    limiter = RateLimiter()
    limiter.take("k", rate=1.0, burst=1, now=T0)
    for _ in range(10):
        with pytest.raises(RateLimited) as caught:
            limiter.take("k", rate=1.0, burst=1, now=T0)
        assert caught.value.retry_after == pytest.approx(1.0)
    limiter.take("k", rate=1.0, burst=1, now=T0 + 1.0)


def test_tokens_refill_at_the_rate():
    # Binary fractions of a second keep the arithmetic exact.
    limiter = RateLimiter()
    for _ in range(3):
        limiter.take("k", rate=8.0, burst=3, now=T0)
    assert not allowed(limiter, "k", 8.0, 3, T0 + 1 / 16)  # half a token
    assert allowed(limiter, "k", 8.0, 3, T0 + 1 / 8)  # a whole one
    assert not allowed(limiter, "k", 8.0, 3, T0 + 1 / 8)
    # Over one more second a client hammering every 1/64 s gets `rate` requests through.
    start = T0 + 1 / 8
    passed = sum(allowed(limiter, "k", 8.0, 3, start + i / 64) for i in range(1, 65))
    assert passed == 8


def test_refill_never_exceeds_the_burst():
    limiter = RateLimiter()
    limiter.take("k", rate=100.0, burst=4, now=T0)
    later = T0 + 3600
    assert [allowed(limiter, "k", 100.0, 4, later) for _ in range(6)] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]


def test_keys_are_independent():
    limiter = RateLimiter()
    for _ in range(2):
        limiter.take("tenant:a", rate=1.0, burst=2, now=T0)
    assert not allowed(limiter, "tenant:a", 1.0, 2, T0)
    assert allowed(limiter, "tenant:b", 1.0, 2, T0)
    assert allowed(limiter, "tenant:b", 1.0, 2, T0)
    assert not allowed(limiter, "tenant:b", 1.0, 2, T0)


def test_real_clock_is_used_without_now():
    limiter = RateLimiter()
    limiter.take("k", rate=0.001, burst=1)
    with pytest.raises(RateLimited) as caught:
        limiter.take("k", rate=0.001, burst=1)
    assert 999 < caught.value.retry_after <= 1000


def test_least_recently_used_keys_are_forgotten():
    limiter = RateLimiter(max_keys=2)
    limiter.take("old", rate=1.0, burst=1, now=T0)
    limiter.take("busy", rate=1.0, burst=1, now=T0)
    assert not allowed(limiter, "old", 1.0, 1, T0)  # "old" is now the most recent
    limiter.take("new", rate=1.0, burst=1, now=T0)  # evicts "busy", the least recent
    assert not allowed(limiter, "old", 1.0, 1, T0)
    assert allowed(limiter, "busy", 1.0, 1, T0)  # forgotten: a full bucket again


async def test_the_in_process_limiter_is_a_limiter():
    limiter: Limiter = RateLimiter()
    await limiter.hit(Bucket("k", 1.0, 1))
    with pytest.raises(RateLimited):
        await limiter.hit(Bucket("k", 1.0, 1))
    await limiter.aclose()


# --- Redis (the scaled shape): FRONTDESK_TEST_REDIS_URL, as CI sets it ---------------------------


@pytest.fixture
async def redis_limiters(redis_url: str) -> AsyncIterator[tuple[Limiter, Limiter]]:
    """Two limiters on the same server, as two API nodes would hold; buckets cleared first."""
    first, second = RedisRateLimiter.from_url(redis_url), RedisRateLimiter.from_url(redis_url)
    async with Redis.from_url(redis_url) as admin:
        await admin.flushdb()
    yield first, second
    await first.aclose()
    await second.aclose()


async def test_nodes_share_one_bucket_per_key(redis_limiters: tuple[Limiter, Limiter]):
    a, b = redis_limiters
    for node in (a, b, a, b, a):
        await node.hit(Bucket("tenant:acme", 0.5, 5))
    with pytest.raises(RateLimited) as caught:
        await b.hit(Bucket("tenant:acme", 0.5, 5))  # the sixth, whichever node takes it
    assert 1.9 < caught.value.retry_after <= 2.0  # one token at 0.5 tokens/s
    await a.hit(Bucket("tenant:other", 0.5, 5))


async def test_one_call_takes_from_every_bucket_until_one_is_empty(
    redis_limiters: tuple[Limiter, Limiter],
):
    for limiter in (RateLimiter(), redis_limiters[0]):
        ip, tenant = Bucket("ip:1", 0.01, 1), Bucket("tenant:1", 0.01, 2)
        await limiter.hit(ip, tenant)
        with pytest.raises(RateLimited) as caught:
            await limiter.hit(ip, tenant)  # the visitor's bucket is empty
        assert caught.value.retry_after > 90
        await limiter.hit(Bucket("ip:2", 0.01, 1), tenant)  # another visitor: the tenant's last
        with pytest.raises(RateLimited):
            await limiter.hit(Bucket("ip:3", 0.01, 1), tenant)  # the tenant's bucket is empty


async def test_a_shared_bucket_refills_at_its_rate(redis_limiters: tuple[Limiter, Limiter]):
    a, b = redis_limiters
    await a.hit(Bucket("k", 20.0, 1))
    with pytest.raises(RateLimited) as caught:
        await b.hit(Bucket("k", 20.0, 1))
    await asyncio.sleep(caught.value.retry_after + 0.01)
    await b.hit(Bucket("k", 20.0, 1))


async def test_idle_buckets_expire(redis_url: str, redis_limiters: tuple[Limiter, Limiter]):
    await redis_limiters[0].hit(Bucket("idle", 10.0, 2))
    async with Redis.from_url(redis_url) as admin:
        ttl = await admin.ttl("frontdesk:rl:idle")
    assert 0 < ttl <= 2  # gone once it would be full again


async def test_an_unreachable_store_lets_requests_through():
    limiter = RedisRateLimiter.from_url(f"redis://127.0.0.1:{closed_port()}/0")
    for _ in range(3):
        await limiter.hit(Bucket("k", 0.001, 1))  # no store: never refused
    await limiter.aclose()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
