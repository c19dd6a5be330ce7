"""Column sets the migrations share."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from frontdesk.core.db import UTCDateTime


def tenant_owned(table: str) -> list[Any]:
    """The id, creation time and owning tenant of a tenant table, with named constraints."""
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"
        ),
    ]
