"""Alembic environment: runs migrations on the connection handed over by ``frontdesk.core.migrate``."""

from alembic import context

import frontdesk.core.models  # noqa: F401  (registers every table)
from frontdesk.core.db import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
