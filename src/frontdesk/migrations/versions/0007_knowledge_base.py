"""knowledge base: namespaces, documents, chunks, vectors, ingest jobs; FAQ visibility, versions, query log

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import frontdesk.core.db
from frontdesk.migrations import rls

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("kb_namespaces", "kb_documents", "kb_chunks", "kb_vectors", "kb_ingest_jobs")
UTC = frontdesk.core.db.UTCDateTime(timezone=True)


def _base(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _namespace_fk(table: str) -> list[Any]:
    return [
        sa.Column("namespace_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["namespace_id"],
            ["kb_namespaces.id"],
            name=f"fk_{table}_namespace_id_kb_namespaces",
            ondelete="CASCADE",
        ),
    ]


def _index(table: str, *columns: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns))


def upgrade() -> None:
    op.create_table(
        "kb_namespaces",
        *_base("kb_namespaces"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("chunking", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.UniqueConstraint("tenant_id", "name", name="uq_kb_namespaces_tenant_id_name"),
    )
    op.create_table(
        "kb_documents",
        *_base("kb_documents"),
        *_namespace_fk("kb_documents"),
        sa.Column("source", sa.String(length=2000), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("doc_type", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("entity", sa.String(length=200), nullable=True),
        sa.Column("doc_date", UTC, nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.UniqueConstraint("namespace_id", "source", name="uq_kb_documents_namespace_id_source"),
    )
    op.create_table(
        "kb_chunks",
        *_base("kb_chunks"),
        *_namespace_fk("kb_chunks"),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["kb_documents.id"],
            name="fk_kb_chunks_document_id_kb_documents",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "kb_vectors",
        *_base("kb_vectors"),
        *_namespace_fk("kb_vectors"),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "kb_ingest_jobs",
        *_base("kb_ingest_jobs"),
        *_namespace_fk("kb_ingest_jobs"),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("processed", sa.JSON(), nullable=False),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
    )
    for table in TABLES:
        _index(table, "tenant_id")
        if table != "kb_namespaces":
            _index(table, "namespace_id")
        rls.enable(table)
    _index("kb_documents", "entity")
    _index("kb_chunks", "document_id")

    with op.batch_alter_table("faq_entries") as batch:
        batch.add_column(
            sa.Column("visibility", sa.String(length=16), nullable=False, server_default="public")
        )
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "faq_queries",
        *_base("faq_queries"),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
    )
    _index("faq_queries", "tenant_id")
    rls.enable("faq_queries")


def downgrade() -> None:
    rls.disable("faq_queries")
    op.drop_table("faq_queries")
    with op.batch_alter_table("faq_entries") as batch:
        batch.drop_column("version")
        batch.drop_column("visibility")
    for table in reversed(TABLES):
        rls.disable(table)
        op.drop_table(table)
