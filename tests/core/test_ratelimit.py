"""RateLimiter: token buckets per key, with a burst, a refill rate and a sensible retry_after."""

from __future__ import annotations

import pytest

from frontdesk.core.errors import RateLimited
from frontdesk.core.ratelimit import RateLimiter

T0 = 1000.0


def allowed(limiter: RateLimiter, key: str, rate: float, burst: int, now: float) -> bool:
    try:
        limiter.hit(key, rate, burst, now)
    except RateLimited:
        return False
    return True


def test_burst_is_allowed_then_limited():
    limiter = RateLimiter()
    for _ in range(5):
        limiter.hit("ip:1", rate=2.0, burst=5, now=T0)
    with pytest.raises(RateLimited) as caught:
        limiter.hit("ip:1", rate=2.0, burst=5, now=T0)
    error = caught.value
    assert error.status == 429
    assert error.code == "rate_limited"
    assert error.retry_after == pytest.approx(0.5)  # one token at 2 tokens/s
    assert error.extra["retry_after"] == pytest.approx(0.5)


def test_retry_after_is_when_the_next_token_arrives():
    limiter = RateLimiter()
    limiter.hit("k", rate=4.0, burst=1, now=T0)
    with pytest.raises(RateLimited) as caught:
        limiter.hit("k", rate=4.0, burst=1, now=T0 + 0.1)
    assert caught.value.retry_after == pytest.approx(0.15)
    # Waiting exactly that long is enough.
    limiter.hit("k", rate=4.0, burst=1, now=T0 + 0.25)


def test_rejected_hits_do_not_push_the_wait_further():
    limiter = RateLimiter()
    limiter.hit("k", rate=1.0, burst=1, now=T0)
    for _ in range(10):
        with pytest.raises(RateLimited) as caught:
            limiter.hit("k", rate=1.0, burst=1, now=T0)
        assert caught.value.retry_after == pytest.approx(1.0)
    limiter.hit("k", rate=1.0, burst=1, now=T0 + 1.0)


def test_tokens_refill_at_the_rate():
    # Binary fractions of a second keep the arithmetic exact.
    limiter = RateLimiter()
    for _ in range(3):
        limiter.hit("k", rate=8.0, burst=3, now=T0)
    assert not allowed(limiter, "k", 8.0, 3, T0 + 1 / 16)  # half a token
    assert allowed(limiter, "k", 8.0, 3, T0 + 1 / 8)       # a whole one
    assert not allowed(limiter, "k", 8.0, 3, T0 + 1 / 8)
    # Over one more second a client hammering every 1/64 s gets `rate` requests through.
    start = T0 + 1 / 8
    passed = sum(allowed(limiter, "k", 8.0, 3, start + i / 64) for i in range(1, 65))
    assert passed == 8


def test_refill_never_exceeds_the_burst():
    limiter = RateLimiter()
    limiter.hit("k", rate=100.0, burst=4, now=T0)
    later = T0 + 3600
    assert [allowed(limiter, "k", 100.0, 4, later) for _ in range(6)] == [
        True, True, True, True, False, False]


def test_keys_are_independent():
    limiter = RateLimiter()
    for _ in range(2):
        limiter.hit("tenant:a", rate=1.0, burst=2, now=T0)
    assert not allowed(limiter, "tenant:a", 1.0, 2, T0)
    assert allowed(limiter, "tenant:b", 1.0, 2, T0)
    assert allowed(limiter, "tenant:b", 1.0, 2, T0)
    assert not allowed(limiter, "tenant:b", 1.0, 2, T0)


def test_real_clock_is_used_without_now():
    limiter = RateLimiter()
    limiter.hit("k", rate=0.001, burst=1)
    with pytest.raises(RateLimited) as caught:
        limiter.hit("k", rate=0.001, burst=1)
    assert 999 < caught.value.retry_after <= 1000


def test_least_recently_used_keys_are_forgotten():
    limiter = RateLimiter(max_keys=2)
    limiter.hit("old", rate=1.0, burst=1, now=T0)
    limiter.hit("busy", rate=1.0, burst=1, now=T0)
    assert not allowed(limiter, "old", 1.0, 1, T0)  # "old" is now the most recent
    limiter.hit("new", rate=1.0, burst=1, now=T0)   # evicts "busy", the least recent
    assert not allowed(limiter, "old", 1.0, 1, T0)
    assert allowed(limiter, "busy", 1.0, 1, T0)     # forgotten: a full bucket again
