"""A credential's use count follows its audit: a trigger counts each successful decrypt.

The decrypt path then writes its audit row and nothing else for the count, one statement fewer
on every decrypt; the count cannot drift from the audit either.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = "NEW.action = 'decrypt' AND NEW.outcome = 'ok' AND NEW.credential_id IS NOT NULL"
COUNT = (
    "UPDATE vault_credentials SET use_count = use_count + 1, last_used_at = NEW.at"
    " WHERE id = NEW.credential_id"
)


def upgrade() -> None:
    """Create the trigger (and, on PostgreSQL, its function)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION vault_count_decrypt() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {COUNT}; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER vault_audit_counts_decrypt AFTER INSERT ON vault_audit"
            f" FOR EACH ROW WHEN ({WHEN}) EXECUTE FUNCTION vault_count_decrypt()"
        )
        return
    op.execute(
        "CREATE TRIGGER vault_audit_counts_decrypt AFTER INSERT ON vault_audit"
        f" WHEN {WHEN} BEGIN {COUNT}; END"
    )


def downgrade() -> None:
    """Drop the trigger (and its function)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS vault_audit_counts_decrypt ON vault_audit")
        op.execute("DROP FUNCTION IF EXISTS vault_count_decrypt()")
        return
    op.execute("DROP TRIGGER IF EXISTS vault_audit_counts_decrypt")
