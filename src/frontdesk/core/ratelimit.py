"""Token-bucket rate limiting: in process (embedded shape) or in Redis (scaled shape).

Every API node of the scaled shape keeps the same buckets in Redis, so a tenant's limit is the
configured one however many nodes serve it (per-process buckets would multiply it by their
number). The bucket arithmetic runs in one Lua script on Redis's clock: atomic, and the same
for every node whatever their clocks say.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import NamedTuple, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from frontdesk.core.errors import RateLimited
from frontdesk.core.logging import get_logger

log = get_logger("frontdesk.ratelimit")


class Bucket(NamedTuple):
    """A token bucket: its key, refill ``rate`` (tokens/s) and ``burst`` (its size)."""

    key: str
    rate: float
    burst: int


class Limiter(Protocol):
    """Takes one token from each bucket, or raises :class:`RateLimited` with the wait."""

    async def hit(self, *buckets: Bucket) -> None:
        """Take a token from each bucket in order; the first empty one refuses the request.

        Tokens taken from the buckets before it stay taken.
        """
        ...

    async def aclose(self) -> None:
        """Release connections (at shutdown)."""
        ...


class RateLimiter:
    """Token buckets keyed by any string, in this process; the least recently used are forgotten."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys

    async def hit(self, *buckets: Bucket) -> None:
        """Take one token from each bucket or raise :class:`RateLimited` with the wait."""
        for bucket in buckets:
            self.take(*bucket)

    def take(self, key: str, rate: float, burst: int, now: float | None = None) -> None:
        """:meth:`hit` at ``now`` (a monotonic time; tests pass their own)."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise RateLimited(retry_after=(1.0 - tokens) / rate)
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)

    async def aclose(self) -> None:
        """Nothing to release."""


# KEYS the buckets; ARGV rate and burst of each in turn. Returns "0" when every bucket gave a
# token, else the wait in seconds of the first that had none (a string: Redis would truncate a
# Lua number). A bucket expires once it would be full again, so idle keys cost nothing.
_TAKE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', key, 't', 'at')
  local tokens = tonumber(state[1]) or burst
  local at = tonumber(state[2]) or now
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
  local wait = nil
  if tokens < 1 then
    wait = tostring((1 - tokens) / rate)
  else
    tokens = tokens - 1
  end
  redis.call('HSET', key, 't', tostring(tokens), 'at', tostring(now))
  redis.call('EXPIRE', key, math.ceil((burst - tokens) / rate) + 1)
  if wait then
    return wait
  end
end
return '0'
"""


class RedisRateLimiter:
    """Token buckets in Redis, shared by every process that uses the same server.

    If Redis cannot be reached the request is let through (and logged, once per outage):
    a limiter that refused all traffic while its store is down would lose messages.
    """

    def __init__(self, redis: Redis, prefix: str = "frontdesk:rl:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._take = redis.register_script(_TAKE)
        self._down = False

    @classmethod
    def from_url(cls, url: str) -> RedisRateLimiter:
        """A limiter on the Redis server at ``url`` (``redis://host:port/db``)."""
        return cls(Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0))

    async def hit(self, *buckets: Bucket) -> None:
        """Take one token from each shared bucket (one round trip) or raise :class:`RateLimited`."""
        keys = [self._prefix + b.key for b in buckets]
        args = [value for b in buckets for value in (b.rate, b.burst)]
        try:
            wait = float(await self._take(keys=keys, args=args))
        except (RedisError, OSError) as exc:
            if not self._down:
                log.warning("rate_limit_store_unavailable", error=type(exc).__name__)
            self._down = True
            return
        if self._down:
            log.info("rate_limit_store_back")
            self._down = False
        if wait > 0:
            raise RateLimited(retry_after=wait)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
