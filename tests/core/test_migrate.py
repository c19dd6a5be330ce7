"""Migrations: applied from scratch, they build the schema the models declare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import frontdesk.app  # noqa: F401 (imports every model)
from frontdesk.core.db import Base, create_null_pool_engine
from frontdesk.core.migrate import migrate
from tests.conftest import base_settings

# What autogenerate cannot compare on SQLite: an index on an expression (``priority DESC``)
# and FLOAT read back for a Double column.
UNCOMPARABLE = {("index", "ix_jobs_claim"), ("type", "feedback.sentiment")}


def _what(diff: Any) -> tuple[str, str]:
    if isinstance(diff, list):  # a column's changes come as a list of tuples
        _, _, table, column, *_ = diff[0]
        return "type", f"{table}.{column}"
    kind, thing = diff[0], diff[1]
    return (kind.split("_", 1)[1], getattr(thing, "name", str(thing)))


async def test_the_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    """A model changed without a migration (or the reverse) fails here."""
    settings = base_settings(tmp_path)
    await migrate(settings)
    engine = create_null_pool_engine(settings)
    try:
        async with engine.connect() as conn:
            diffs = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert {_what(d) for d in diffs} - UNCOMPARABLE == set()
