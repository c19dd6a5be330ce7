"""Apply Alembic migrations programmatically (``frontdesk migrate`` and ``serve`` start)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from frontdesk.core.db import create_null_pool_engine
from frontdesk.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def _alembic(settings: Settings, action: Callable[[Config], None]) -> None:
    engine = create_null_pool_engine(settings)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: action(alembic_config(c)))
    finally:
        await engine.dispose()


async def migrate(settings: Settings, revision: str = "head") -> None:
    """Upgrade the configured database to ``revision``."""
    await _alembic(settings, lambda config: command.upgrade(config, revision))


async def downgrade(settings: Settings, revision: str) -> None:
    """Downgrade the configured database to ``revision`` (``base`` drops every table)."""
    await _alembic(settings, lambda config: command.downgrade(config, revision))
