from __future__ import annotations

import asyncio

from frontdesk.core.live import Hub


async def test_notify_wakes_every_waiter_of_the_key_only():
    hub = Hub()
    a1 = asyncio.create_task(hub.wait("a", 5))
    a2 = asyncio.create_task(hub.wait("a", 5))
    b = asyncio.create_task(hub.wait("b", 0.2))
    await asyncio.sleep(0.01)
    hub.notify("a")
    assert await a1 and await a2
    assert not await b
    assert len(hub) == 0, "no key is kept once its readers are gone"


async def test_a_notification_with_no_reader_is_not_kept():
    hub = Hub()
    hub.notify("a")
    assert not await hub.wait("a", 0.05)
    assert len(hub) == 0
