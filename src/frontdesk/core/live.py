"""In-process wake-ups for live streams: a writer notifies a key, readers waiting on it wake."""

from __future__ import annotations

import asyncio
from contextlib import suppress


class Hub:
    """Keyed one-shot signals. A reader that misses a signal still re-reads the database."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def notify(self, key: str) -> None:
        """Wake everyone waiting on ``key``."""
        event = self._events.pop(key, None)
        if event is not None:
            event.set()

    async def wait(self, key: str, seconds: float) -> bool:
        """Wait for ``key`` to be notified; False after ``seconds``."""
        event = self._events.setdefault(key, asyncio.Event())
        with suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
            return True
        return False
