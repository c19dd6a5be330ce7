"""Workflows: a draft revision number, for conflict detection between editors.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``workflows.draft_revision`` (existing drafts start at 1)."""
    # A plain ADD COLUMN (no table rebuild on SQLite: the runs keep their foreign keys).
    op.add_column(
        "workflows", sa.Column("draft_revision", sa.Integer(), nullable=False, server_default="1")
    )


def downgrade() -> None:
    """Drop ``workflows.draft_revision``."""
    op.drop_column("workflows", "draft_revision")
