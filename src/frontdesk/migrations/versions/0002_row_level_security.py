"""Row-level security on every tenant table (PostgreSQL only).

A transaction sees a tenant's rows only when it set ``frontdesk.tenant_id`` to that tenant, or
``frontdesk.system`` to ``on`` for cross-tenant work (auth lookups, the queue, the CLI). With
neither set it sees nothing: the wall fails closed. ``FORCE`` applies the policies to the table
owner too, which is the role the application connects as.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

from frontdesk.core.models import TENANT_TABLES

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALLOWED = (
    "current_setting('frontdesk.system', true) = 'on'"
    " OR {column}::text = current_setting('frontdesk.tenant_id', true)"
)


def _enable(table: str, column: str) -> None:
    rule = ALLOWED.format(column=column)
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({rule}) WITH CHECK ({rule})")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _enable("tenants", "id")
    for table in TENANT_TABLES:
        _enable(table, "tenant_id")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ["tenants", *TENANT_TABLES]:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
