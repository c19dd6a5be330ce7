"""Assessments, their versions, and the results of their runs.

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.core.db
from frontdesk.migrations import rls
from frontdesk.migrations.tables import tenant_owned

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = frontdesk.core.db.UTCDateTime
TABLES = ("assessments", "assessment_versions", "assessment_results")


def _of_assessment(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["assessment_id"],
        ["assessments.id"],
        name=f"fk_{table}_assessment_id_assessments",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "assessments",
        *tenant_owned("assessments"),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.UniqueConstraint("tenant_id", "key", name="uq_assessments_tenant_id_key"),
    )
    op.create_index("ix_assessments_tenant_id", "assessments", ["tenant_id"])
    op.create_table(
        "assessment_versions",
        *tenant_owned("assessment_versions"),
        sa.Column("assessment_id", sa.String(length=36), nullable=False),
        _of_assessment("assessment_versions"),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.UniqueConstraint(
            "assessment_id", "number", name="uq_assessment_versions_assessment_id_number"
        ),
    )
    op.create_index("ix_assessment_versions_tenant_id", "assessment_versions", ["tenant_id"])
    op.create_table(
        "assessment_results",
        *tenant_owned("assessment_results"),
        sa.Column("assessment_id", sa.String(length=36), nullable=False),
        _of_assessment("assessment_results"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_assessment_results_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.Column("contact_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("current_question", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("band", sa.String(length=200), nullable=True),
        sa.Column("started_at", UTC(), nullable=False),
        sa.Column("completed_at", UTC(), nullable=True),
        sa.Column("updated_at", UTC(), nullable=False),
    )
    op.create_index("ix_assessment_results_tenant_id", "assessment_results", ["tenant_id"])
    op.create_index(
        "ix_assessment_results_conversation_id", "assessment_results", ["conversation_id"]
    )
    op.create_index("ix_assessment_results_contact_id", "assessment_results", ["contact_id"])
    op.create_index(
        "ix_assessment_results_assessment_started",
        "assessment_results",
        ["assessment_id", "started_at"],
    )
    for table in TABLES:
        rls.enable(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        rls.disable(table)
        op.drop_table(table)
