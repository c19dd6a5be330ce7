"""A database of our own per test, so no in-process worker claims the jobs we enqueue."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from frontdesk.core.db import Database
from frontdesk.settings import Settings
from tests.queue.helpers import fresh_database


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = await fresh_database(settings)
    yield database
    await database.dispose()
