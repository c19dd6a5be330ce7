"""In-process wake-ups for live streams: a writer notifies a key, readers waiting on it wake."""

from __future__ import annotations

import asyncio
from contextlib import suppress


class Hub:
    """Keyed one-shot signals. A reader that misses a signal still re-reads the database."""

    def __init__(self) -> None:
        self._events: dict[str, tuple[asyncio.Event, int]] = {}

    def notify(self, key: str) -> None:
        """Wake everyone waiting on ``key``."""
        entry = self._events.pop(key, None)
        if entry is not None:
            entry[0].set()

    async def wait(self, key: str, seconds: float) -> bool:
        """Wait for ``key`` to be notified; False after ``seconds``."""
        event, waiters = self._events.get(key, (asyncio.Event(), 0))
        self._events[key] = (event, waiters + 1)
        try:
            with suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)
                return True
            return False
        finally:
            current = self._events.get(key)
            if current is not None and current[0] is event:
                if current[1] <= 1:
                    del self._events[key]  # the last reader left: forget the key
                else:
                    self._events[key] = (event, current[1] - 1)

    def __len__(self) -> int:
        return len(self._events)
