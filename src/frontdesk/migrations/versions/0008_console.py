"""Console: member login sessions, login lockout, conversation ownership.

Revision ID: 0008
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.core.db import UTCDateTime
from frontdesk.migrations import rls

revision: str = "0008"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_sessions",
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
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_member_sessions_tenant_id", "member_sessions", ["tenant_id"])
    op.create_index("ix_member_sessions_member_id", "member_sessions", ["member_id"])
    op.create_index("ix_member_sessions_token_hash", "member_sessions", ["token_hash"], unique=True)
    rls.enable("member_sessions")
    with op.batch_alter_table("members") as batch:
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_login_at", UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(
            sa.Column(
                "assignee_id",
                sa.String(length=36),
                sa.ForeignKey(
                    "members.id", name="fk_conversations_assignee_id_members", ondelete="SET NULL"
                ),
                nullable=True,
            )
        )
        batch.create_index("ix_conversations_tenant_status", ["tenant_id", "status"])
    op.execute("UPDATE conversations SET status = 'bot' WHERE status = 'open'")
    op.execute("UPDATE conversations SET status = 'waiting' WHERE status = 'pending_human'")


def downgrade() -> None:
    op.execute("UPDATE conversations SET status = 'open' WHERE status IN ('bot', 'human')")
    op.execute("UPDATE conversations SET status = 'pending_human' WHERE status = 'waiting'")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_tenant_status")
        batch.drop_constraint("fk_conversations_assignee_id_members", type_="foreignkey")
        batch.drop_column("assignee_id")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("last_login_at")
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
    rls.disable("member_sessions")
    op.drop_table("member_sessions")
