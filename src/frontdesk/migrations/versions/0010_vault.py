"""Credential vault: credentials, versions, decrypt tokens, references, append-only audit.

Revision ID: 0010
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.core.db import UTCDateTime
from frontdesk.migrations import rls

revision: str = "0010"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = [
    "vault_credentials",
    "vault_credential_versions",
    "vault_decrypt_tokens",
    "vault_references",
    "vault_audit",
]


def _base(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _credential_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["credential_id"],
        ["vault_credentials.id"],
        name=f"fk_{table}_credential_id_vault_credentials",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "vault_credentials",
        *_base("vault_credentials"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("custom_schema", sa.JSON(), nullable=True),
        sa.Column("masked", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("rotation_days", sa.Integer(), nullable=True),
        sa.Column("rotated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expiry_alerted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("rotation_reminded_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("use_count", sa.Integer(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("archived_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_vault_credentials_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("tenant_id", "name", name="uq_vault_credentials_tenant_id"),
    )
    op.create_index("ix_vault_credentials_tenant_id", "vault_credentials", ["tenant_id"])

    op.create_table(
        "vault_credential_versions",
        *_base("vault_credential_versions"),
        sa.Column("credential_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        _credential_fk("vault_credential_versions"),
        sa.UniqueConstraint(
            "credential_id", "version", name="uq_vault_credential_versions_credential_id"
        ),
    )
    for column in ("tenant_id", "credential_id"):
        op.create_index(
            f"ix_vault_credential_versions_{column}", "vault_credential_versions", [column]
        )

    op.create_table(
        "vault_decrypt_tokens",
        *_base("vault_decrypt_tokens"),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("credential_id", sa.String(36), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=True),
        _credential_fk("vault_decrypt_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_vault_decrypt_tokens_token_hash"),
    )
    for column in ("tenant_id", "credential_id"):
        op.create_index(f"ix_vault_decrypt_tokens_{column}", "vault_decrypt_tokens", [column])

    op.create_table(
        "vault_references",
        *_base("vault_references"),
        sa.Column("credential_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ref_id", sa.String(100), nullable=False),
        sa.Column("use_count", sa.Integer(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("flagged_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("flag_reason", sa.String(500), nullable=True),
        _credential_fk("vault_references"),
        sa.UniqueConstraint(
            "credential_id", "kind", "ref_id", name="uq_vault_references_credential_id"
        ),
    )
    for column in ("tenant_id", "credential_id"):
        op.create_index(f"ix_vault_references_{column}", "vault_references", [column])

    op.create_table(
        "vault_audit",
        *_base("vault_audit"),
        sa.Column("credential_id", sa.String(36), nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("service", sa.String(100), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(300), nullable=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_vault_audit_tenant_id", "vault_audit", ["tenant_id"])
    op.create_index("ix_vault_audit_at", "vault_audit", ["at"])
    op.create_index(
        "ix_vault_audit_credential_action", "vault_audit", ["credential_id", "action", "at"]
    )
    _append_only("vault_audit")

    for table in TABLES:
        rls.enable(table)


def _append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION vault_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'vault_audit is append-only'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION vault_audit_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}"
            f" BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


def downgrade() -> None:
    for table in TABLES:
        rls.disable(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS vault_audit_append_only ON vault_audit")
        op.execute("DROP FUNCTION IF EXISTS vault_audit_append_only()")
    for table in reversed(TABLES):
        op.drop_table(table)
