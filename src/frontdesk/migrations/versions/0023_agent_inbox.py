"""Agent inbox: waiting time and escalation reason on conversations, member availability,
and the callbacks queued when no agent is available.

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.core.db import UTCDateTime
from frontdesk.migrations import rls

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the inbox columns and the ``callbacks`` table."""
    # Plain ADD COLUMNs (no table rebuild on SQLite: the referencing rows keep their keys).
    op.add_column("conversations", sa.Column("waiting_since", UTCDateTime(), nullable=True))
    op.add_column(
        "conversations", sa.Column("escalation_reason", sa.String(length=64), nullable=True)
    )
    op.execute("UPDATE conversations SET waiting_since = updated_at WHERE status = 'waiting'")
    op.add_column(
        "members",
        sa.Column("available", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "callbacks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("contact_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_callbacks"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_callbacks_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_callbacks_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name="fk_callbacks_contact_id_contacts"
        ),
        sa.ForeignKeyConstraint(
            ["done_by"], ["members.id"], name="fk_callbacks_done_by_members", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_callbacks_tenant_id", "callbacks", ["tenant_id"])
    op.create_index("ix_callbacks_conversation_id", "callbacks", ["conversation_id"])
    op.create_index(
        "ix_callbacks_tenant_status_requested", "callbacks", ["tenant_id", "status", "requested_at"]
    )
    rls.enable("callbacks")


def downgrade() -> None:
    """Drop the callbacks and the inbox columns."""
    rls.disable("callbacks")
    op.drop_table("callbacks")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("available")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("escalation_reason")
        batch.drop_column("waiting_since")
