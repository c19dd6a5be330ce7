"""What was read from a stored file: its OCR text or transcript, beside the file.

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The transform, its outcome and its text on each ``channel_media`` row."""
    with op.batch_alter_table("channel_media") as batch:
        batch.add_column(sa.Column("transform", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("transform_status", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("transform_error", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("extracted_text", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the transform columns."""
    with op.batch_alter_table("channel_media") as batch:
        batch.drop_column("extracted_text")
        batch.drop_column("transform_error")
        batch.drop_column("transform_status")
        batch.drop_column("transform")
