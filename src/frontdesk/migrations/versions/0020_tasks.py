"""Tasks for the whole product: ``workflow_tasks`` gains a conversation, a contact, a source,
a priority and an update time; its status is one of open, in_progress, completed, cancelled.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.core.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = frontdesk.core.db.UTCDateTime
TABLE = "workflow_tasks"
CHECKS = {
    "status": ("open", "in_progress", "completed", "cancelled"),
    "source": ("workflow", "conversation", "api"),
    "priority": ("low", "normal", "high", "urgent"),
}


def _one_of(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade() -> None:
    """Add the columns, keys and checks; existing tasks are workflow tasks of normal priority."""
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("conversation_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("contact_id", sa.String(length=36), nullable=True))
        batch.add_column(
            sa.Column("source", sa.String(length=16), nullable=False, server_default="workflow")
        )
        batch.add_column(
            sa.Column("priority", sa.String(length=8), nullable=False, server_default="normal")
        )
        batch.add_column(sa.Column("updated_at", UTC(), nullable=True))
    op.execute("UPDATE workflow_tasks SET updated_at = COALESCE(completed_at, created_at)")
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column("updated_at", existing_type=UTC(), nullable=False)
        batch.create_foreign_key(
            "fk_workflow_tasks_conversation_id_conversations",
            "conversations",
            ["conversation_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            "fk_workflow_tasks_contact_id_contacts",
            "contacts",
            ["contact_id"],
            ["id"],
            ondelete="SET NULL",
        )
        for column, values in CHECKS.items():
            batch.create_check_constraint(
                f"ck_{TABLE}_{column}", f"{column} IN ({_one_of(values)})"
            )
        batch.create_index("ix_workflow_tasks_conversation_id", ["conversation_id"])
        batch.create_index(
            "ix_workflow_tasks_tenant_assignee_status", ["tenant_id", "assignee_id", "status"]
        )


def downgrade() -> None:
    """Drop what :func:`upgrade` added (tasks keep their in_progress or cancelled status)."""
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_index("ix_workflow_tasks_tenant_assignee_status")
        batch.drop_index("ix_workflow_tasks_conversation_id")
        for column in CHECKS:
            batch.drop_constraint(f"ck_{TABLE}_{column}", type_="check")
        batch.drop_constraint("fk_workflow_tasks_contact_id_contacts", type_="foreignkey")
        batch.drop_constraint("fk_workflow_tasks_conversation_id_conversations", type_="foreignkey")
        for column in ("updated_at", "priority", "source", "contact_id", "conversation_id"):
            batch.drop_column(column)
