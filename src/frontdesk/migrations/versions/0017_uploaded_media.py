"""Files members upload to send (not a customer's): ``channel_media`` rows without a message.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """An uploaded file has no channel and no inbound message."""
    with op.batch_alter_table("channel_media") as batch:
        batch.alter_column("channel_id", existing_type=sa.String(36), nullable=True)
        batch.alter_column("raw_message_id", existing_type=sa.String(36), nullable=True)


def downgrade() -> None:
    """Drop the uploaded files, then require both again."""
    op.execute("DELETE FROM channel_media WHERE raw_message_id IS NULL")
    with op.batch_alter_table("channel_media") as batch:
        batch.alter_column("channel_id", existing_type=sa.String(36), nullable=False)
        batch.alter_column("raw_message_id", existing_type=sa.String(36), nullable=False)
