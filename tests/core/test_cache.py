"""The short-TTL cache: values expire, forget wins over a load in flight, size is bounded."""

from __future__ import annotations

import asyncio

import pytest

from frontdesk.core.cache import TTLCache


async def test_a_value_is_loaded_once_then_served_until_it_expires():
    cache: TTLCache[str, int] = TTLCache(ttl=0.5)  # room for a slow machine between loads
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        return loads

    assert await cache.load("a", load) == 1
    assert await cache.load("a", load) == 1
    await asyncio.sleep(0.55)
    assert await cache.load("a", load) == 2


async def test_none_is_a_value_not_a_miss():
    cache: TTLCache[str, int | None] = TTLCache(ttl=60)
    loads = []

    async def load() -> None:
        loads.append(1)

    await cache.load("missing", load)
    await cache.load("missing", load)
    assert loads == [1]


async def paused_load(
    cache: TTLCache[str, str], key: str, value: str
) -> tuple[asyncio.Task[str], asyncio.Event]:
    """A load of ``key`` that has read ``value`` and waits for the returned event to finish."""
    reading, release = asyncio.Event(), asyncio.Event()

    async def stale() -> str:
        reading.set()
        await release.wait()
        return value

    pending = asyncio.create_task(cache.load(key, stale))
    await reading.wait()
    return pending, release


async def test_a_load_that_read_before_a_forget_is_returned_but_not_kept():
    cache: TTLCache[str, str] = TTLCache(ttl=60)
    # The change commits while this load holds the old state.
    pending, committed = await paused_load(cache, "tenant", "old")
    cache.forget("tenant")  # the change's after-commit hook
    committed.set()
    assert await pending == "old"

    async def fresh() -> str:
        return "new"

    assert await cache.load("tenant", fresh) == "new"


async def test_a_value_set_here_wins_over_a_load_in_flight():
    cache: TTLCache[str, str] = TTLCache(ttl=60)
    pending, written = await paused_load(cache, "breaker", "closed")
    cache.set("breaker", "open")  # a transition written by this process
    written.set()
    assert await pending == "closed"
    assert cache.get("breaker") == "open"


async def test_forget_where_and_clear_drop_what_they_select():
    cache: TTLCache[tuple[str, str], int] = TTLCache(ttl=60)
    for key, value in [(("t1", "a"), 1), (("t1", "b"), 2), (("t2", "a"), 3)]:
        cache.put(key, value, cache.generation())
    cache.forget_where(lambda key, _: key[0] == "t1")
    assert cache.get(("t1", "a")) is None and cache.get(("t1", "b")) is None
    assert cache.get(("t2", "a")) == 3
    cache.clear()
    assert cache.get(("t2", "a")) is None


@pytest.mark.parametrize("size", [1, 3])
def test_the_oldest_value_goes_when_full(size: int):
    cache: TTLCache[int, int] = TTLCache(ttl=60, size=size)
    for key in range(size + 1):
        cache.put(key, key, cache.generation())
    assert cache.get(0) is None
    assert all(cache.get(key) == key for key in range(1, size + 1))
