"""Job indexes that match the claim query's order and the ordering-key probe.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_claim")
        batch.drop_index("ix_jobs_ordering")
        batch.create_index("ix_jobs_claim", ["status", sa.text("priority DESC"), "id"])
        batch.create_index("ix_jobs_ordering", ["ordering_key", "status", "id"])


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index("ix_jobs_claim")
        batch.drop_index("ix_jobs_ordering")
        batch.create_index("ix_jobs_claim", ["status", "run_at"])
        batch.create_index("ix_jobs_ordering", ["ordering_key", "status"])
