"""Conversation context, routing rules, routing decisions and customer feedback.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.core.db
from frontdesk.migrations import rls
from frontdesk.migrations.tables import tenant_owned

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = frontdesk.core.db.UTCDateTime
TABLES = ("routing_rules", "routing_decisions", "feedback")


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("context", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("context_expires_at", UTC(), nullable=True))
    op.create_table(
        "routing_rules",
        *tenant_owned("routing_rules"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("handler", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
    )
    op.create_index("ix_routing_rules_tenant_id", "routing_rules", ["tenant_id"])
    op.create_table(
        "routing_decisions",
        *tenant_owned("routing_decisions"),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_routing_decisions_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("handler", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.String(length=36), nullable=True),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_routing_decisions_conversation_id", "routing_decisions", ["conversation_id"]
    )
    op.create_index(
        "ix_routing_decisions_tenant_created", "routing_decisions", ["tenant_id", "created_at"]
    )
    op.create_table(
        "feedback",
        *tenant_owned("feedback"),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_feedback_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("sentiment", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
    )
    op.create_index("ix_feedback_conversation_id", "feedback", ["conversation_id"])
    op.create_index("ix_feedback_tenant_created", "feedback", ["tenant_id", "created_at"])
    for table in TABLES:
        rls.enable(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        rls.disable(table)
        op.drop_table(table)
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("context_expires_at")
        batch.drop_column("context")
