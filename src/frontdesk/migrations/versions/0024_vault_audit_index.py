"""The vault audit log's two single-column indexes (tenant, time) become one on both.

The log is read per tenant, newest first: one index serves that without a sort, and every
audited access (a decrypt among them) writes one index entry fewer.

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Replace ``ix_vault_audit_tenant_id`` and ``ix_vault_audit_at`` with (tenant_id, at)."""
    op.create_index("ix_vault_audit_tenant_at", "vault_audit", ["tenant_id", "at"])
    op.drop_index("ix_vault_audit_tenant_id", table_name="vault_audit")
    op.drop_index("ix_vault_audit_at", table_name="vault_audit")


def downgrade() -> None:
    """Bring the two single-column indexes back."""
    op.create_index("ix_vault_audit_at", "vault_audit", ["at"])
    op.create_index("ix_vault_audit_tenant_id", "vault_audit", ["tenant_id"])
    op.drop_index("ix_vault_audit_tenant_at", table_name="vault_audit")
