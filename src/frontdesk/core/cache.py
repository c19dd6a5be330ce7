"""A per-process cache of short-lived values whose ``forget`` wins over a load in flight.

The services cache what nearly every request reads (API keys, tenants, routing rules, workflow
triggers, channels) for a few seconds, and forget an entry once a change commits here. A load
that began before that commit read the old state: were it stored after the forget, the change
would go unseen for a whole TTL (a revoked key accepted, a new trigger's event dropped). So a
load keeps its value only if nothing was forgotten while it ran.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """Values kept ``ttl`` seconds, at most ``size`` of them (the oldest dropped first)."""

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self._ttl = ttl
        self._size = size
        self._entries: dict[K, tuple[float, V]] = {}
        self._generation = 0

    def get(self, key: K) -> V | None:
        """The fresh value cached for ``key``, or None."""
        hit = self._fresh(key)
        return None if hit is None else hit[1]

    def _fresh(self, key: K) -> tuple[float, V] | None:
        hit = self._entries.get(key)
        return hit if hit is not None and hit[0] > time.monotonic() else None

    def generation(self) -> int:
        """A token to take before a load and hand to :meth:`put` after it."""
        return self._generation

    def put(self, key: K, value: V, generation: int) -> None:
        """Keep ``value`` unless something was forgotten since ``generation`` was taken."""
        if generation != self._generation:
            return
        if len(self._entries) >= self._size and key not in self._entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (time.monotonic() + self._ttl, value)

    def set(self, key: K, value: V) -> None:
        """Keep ``value``, just written here, over anything a load in flight read before."""
        self.forget(key)
        self.put(key, value, self._generation)

    async def load(self, key: K, loader: Callable[[], Awaitable[V]]) -> V:
        """The cached value for ``key``, or ``loader()``'s, kept if no forget ran meanwhile."""
        hit = self._fresh(key)
        if hit is not None:
            return hit[1]
        generation = self._generation
        value = await loader()
        self.put(key, value, generation)
        return value

    def forget(self, key: K) -> None:
        """Drop ``key``'s value, and keep none that a load in flight read before now."""
        self._generation += 1
        self._entries.pop(key, None)

    def forget_where(self, drop: Callable[[K, V], bool]) -> None:
        """Drop every value ``drop(key, value)`` selects (and any load in flight)."""
        self._generation += 1
        for key in [k for k, (_, v) in self._entries.items() if drop(k, v)]:
            del self._entries[key]

    def clear(self) -> None:
        """Drop every value (and any load in flight)."""
        self._generation += 1
        self._entries.clear()
