"""Row-level security helpers for migrations (PostgreSQL only; no-ops elsewhere).

A transaction sees a tenant's rows only when it set ``frontdesk.tenant_id`` to that tenant, or
``frontdesk.system`` to ``on`` for cross-tenant work (auth lookups, the queue, the CLI). With
neither set it sees nothing: the wall fails closed. ``FORCE`` applies the policies to the table
owner too, which is the role the application connects as.

Every migration that creates a tenant table calls :func:`enable` for it in ``upgrade`` and
:func:`disable` in ``downgrade``; ``tests/test_isolation.py`` checks that none is missed.
"""

from alembic import op

ALLOWED = (
    "current_setting('frontdesk.system', true) = 'on'"
    " OR {column}::text = current_setting('frontdesk.tenant_id', true)"
)


def _on_postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def enable(table: str, column: str = "tenant_id") -> None:
    """Turn on the tenant wall for ``table``, keyed by ``column``."""
    if not _on_postgres():
        return
    rule = ALLOWED.format(column=column)
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({rule}) WITH CHECK ({rule})")


def disable(table: str) -> None:
    """Remove the tenant wall from ``table``."""
    if not _on_postgres():
        return
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
