"""Row-level security on every tenant table of the foundation (PostgreSQL only).

The list is frozen here: later migrations enable the wall on the tables they create.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from frontdesk.migrations import rls

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = [
    "members",
    "api_keys",
    "data_keys",
    "channels",
    "contacts",
    "contact_identities",
    "conversations",
    "messages",
    "raw_messages",
    "webchat_sessions",
    "faq_entries",
    "jobs",
    "outbox_events",
]


def upgrade() -> None:
    rls.enable("tenants", "id")
    for table in TABLES:
        rls.enable(table)


def downgrade() -> None:
    for table in ["tenants", *TABLES]:
        rls.disable(table)
