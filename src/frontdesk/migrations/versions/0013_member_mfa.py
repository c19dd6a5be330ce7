"""Member MFA: TOTP secret and replay guard on members, recovery codes, MFA-given sessions.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.core.db import UTCDateTime
from frontdesk.migrations import rls

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEMBER_COLUMNS = ("mfa_secret", "mfa_pending", "mfa_enabled_at", "mfa_last_step")


def upgrade() -> None:
    """Add the MFA columns and the ``member_recovery_codes`` table."""
    # Plain ADD COLUMNs (no table rebuild on SQLite: the referencing rows keep their keys).
    op.add_column("members", sa.Column("mfa_secret", sa.LargeBinary(), nullable=True))
    op.add_column("members", sa.Column("mfa_pending", sa.LargeBinary(), nullable=True))
    op.add_column("members", sa.Column("mfa_enabled_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("members", sa.Column("mfa_last_step", sa.BigInteger(), nullable=True))
    op.add_column("member_sessions", sa.Column("mfa_at", UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "member_recovery_codes",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id",
            sa.String(length=36),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "member_id",
            sa.String(length=36),
            sa.ForeignKey("members.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=True),
        sa.UniqueConstraint(
            "member_id", "code_hash", name="uq_member_recovery_codes_member_id_code_hash"
        ),
    )
    op.create_index("ix_member_recovery_codes_tenant_id", "member_recovery_codes", ["tenant_id"])
    op.create_index("ix_member_recovery_codes_member_id", "member_recovery_codes", ["member_id"])
    rls.enable("member_recovery_codes")


def downgrade() -> None:
    """Drop the recovery codes and the MFA columns."""
    rls.disable("member_recovery_codes")
    op.drop_table("member_recovery_codes")
    op.drop_column("member_sessions", "mfa_at")
    for column in reversed(MEMBER_COLUMNS):
        op.drop_column("members", column)
