"""Queue: jobs of one ordering key wait (``waiting``) until their key is free.

Existing rows are converted: of each key's queued jobs only the earliest stays queued, and none
does when the key has a running job; the others wait. The ordering index leads with the status,
for the gate's probes and the reaper's walk over the keys with waiting jobs.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAIT_BEHIND_THE_HEAD = """
UPDATE jobs SET status = 'waiting'
WHERE status = 'queued' AND ordering_key IS NOT NULL AND (
    EXISTS (
        SELECT 1 FROM jobs AS running
        WHERE running.status = 'running' AND running.ordering_key = jobs.ordering_key
    )
    OR EXISTS (
        SELECT 1 FROM jobs AS earlier
        WHERE earlier.status = 'queued' AND earlier.ordering_key = jobs.ordering_key
          AND earlier.id < jobs.id
    )
)
"""


def _as_system(statement: str) -> None:
    """Run ``statement`` over every tenant's jobs (RLS hides them from a scope-less transaction)."""
    on_postgres = op.get_bind().dialect.name == "postgresql"
    if on_postgres:
        op.execute("SELECT set_config('frontdesk.system', 'on', true)")
    op.execute(statement)
    if on_postgres:
        op.execute("SELECT set_config('frontdesk.system', '', true)")


def upgrade() -> None:
    """Re-key the ordering index, then let all but each key's head wait."""
    op.drop_index("ix_jobs_ordering", table_name="jobs")
    op.create_index("ix_jobs_ordering", "jobs", ["status", "ordering_key", "id"])
    _as_system(WAIT_BEHIND_THE_HEAD)


def downgrade() -> None:
    """Queue every waiting job again (the claim checks the keys itself before 0014)."""
    _as_system("UPDATE jobs SET status = 'queued' WHERE status = 'waiting'")
    op.drop_index("ix_jobs_ordering", table_name="jobs")
    op.create_index("ix_jobs_ordering", "jobs", ["ordering_key", "status", "id"])
