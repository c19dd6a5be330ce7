"""Token-bucket rate limiting, in process (the embedded shape)."""

from __future__ import annotations

import time
from collections import OrderedDict

from frontdesk.core.errors import RateLimited


class RateLimiter:
    """Token buckets keyed by any string; the least recently used keys are forgotten."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys

    def hit(self, key: str, rate: float, burst: int, now: float | None = None) -> None:
        """Take one token from ``key``'s bucket or raise :class:`RateLimited` with the wait."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise RateLimited(retry_after=(1.0 - tokens) / rate)
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
