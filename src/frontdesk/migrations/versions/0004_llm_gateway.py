"""LLM gateway: settings, usage, monthly spend, circuit breakers, semantic cache

Revision ID: 0004
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.core.db
from frontdesk.migrations import rls

revision: str = "0004"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "llm_breakers",
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("open_until", frontdesk.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("updated_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_breakers")),
        sa.UniqueConstraint(
            "tenant_id", "provider", name=op.f("uq_llm_breakers_tenant_id_provider")
        ),
    )
    with op.batch_alter_table("llm_breakers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_llm_breakers_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "llm_cache",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("expires_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_cache")),
    )
    with op.batch_alter_table("llm_cache", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_llm_cache_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_llm_cache_tenant_scope", ["tenant_id", "scope"], unique=False)

    op.create_table(
        "llm_spend",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("cost_pusd", sa.BigInteger(), nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_spend")),
        sa.UniqueConstraint("tenant_id", "month", name=op.f("uq_llm_spend_tenant_id_month")),
    )
    with op.batch_alter_table("llm_spend", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_llm_spend_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "llm_usage",
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("cost_pusd", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("cache_hit", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_usage")),
    )
    with op.batch_alter_table("llm_usage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_llm_usage_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_llm_usage_tenant_time", ["tenant_id", "created_at"], unique=False)

    op.create_table(
        "llm_settings",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("providers", sa.JSON(), nullable=False),
        sa.Column("keys_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("preference", sa.String(length=16), nullable=False),
        sa.Column("monthly_budget_pusd", sa.BigInteger(), nullable=True),
        sa.Column("budget_action", sa.String(length=16), nullable=False),
        sa.Column("max_tokens_cap", sa.Integer(), nullable=True),
        sa.Column("tone", sa.Text(), nullable=True),
        sa.Column("updated_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_llm_settings_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_settings")),
    )
    with op.batch_alter_table("llm_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_llm_settings_tenant_id"), ["tenant_id"], unique=True)

    rls.enable("llm_breakers")
    rls.enable("llm_cache")
    rls.enable("llm_spend")
    rls.enable("llm_usage")
    rls.enable("llm_settings")


def downgrade() -> None:
    rls.disable("llm_breakers")
    rls.disable("llm_cache")
    rls.disable("llm_spend")
    rls.disable("llm_usage")
    rls.disable("llm_settings")
    with op.batch_alter_table("llm_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_llm_settings_tenant_id"))

    op.drop_table("llm_settings")
    with op.batch_alter_table("llm_usage", schema=None) as batch_op:
        batch_op.drop_index("ix_llm_usage_tenant_time")
        batch_op.drop_index(batch_op.f("ix_llm_usage_tenant_id"))

    op.drop_table("llm_usage")
    with op.batch_alter_table("llm_spend", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_llm_spend_tenant_id"))

    op.drop_table("llm_spend")
    with op.batch_alter_table("llm_cache", schema=None) as batch_op:
        batch_op.drop_index("ix_llm_cache_tenant_scope")
        batch_op.drop_index(batch_op.f("ix_llm_cache_tenant_id"))

    op.drop_table("llm_cache")
    with op.batch_alter_table("llm_breakers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_llm_breakers_tenant_id"))

    op.drop_table("llm_breakers")
