"""Understanding: intent training examples and trained model versions.

Revision ID: 0005
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from frontdesk.core.db import UTCDateTime
from frontdesk.migrations import rls

revision: str = "0005"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _base() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "tenant_id",
            sa.String(length=36),
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "intent_examples",
        *_base(),
        sa.Column("intent", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.UniqueConstraint("tenant_id", "intent", "text"),
    )
    op.create_table(
        "intent_models",
        *_base(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("intents", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("trained_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("weights", sa.LargeBinary(), nullable=True),
        sa.UniqueConstraint("tenant_id", "version"),
    )
    for table in ("intent_examples", "intent_models"):
        rls.enable(table)


def downgrade() -> None:
    for table in ("intent_models", "intent_examples"):
        rls.disable(table)
        op.drop_table(table)
