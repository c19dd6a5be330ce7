"""Workflows: definitions, versions, triggers, runs, steps, waits, tasks, audit, metrics.

Revision ID: 0011
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.core.db
from frontdesk.migrations import rls

revision: str = "0011"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = [
    "workflows",
    "workflow_versions",
    "workflow_triggers",
    "workflow_instances",
    "workflow_steps",
    "workflow_waits",
    "workflow_tasks",
    "workflow_audit",
    "workflow_metrics",
]


def _append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION workflow_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'workflow_audit is append-only'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION workflow_audit_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}"
            f" BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


def upgrade() -> None:
    op.create_table(
        "workflow_audit",
        sa.Column("workflow_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_audit")),
        sa.UniqueConstraint("workflow_id", "seq", name=op.f("uq_workflow_audit_workflow_id_seq")),
    )
    with op.batch_alter_table("workflow_audit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_audit_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "workflow_tasks",
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("assignee_id", sa.String(length=36), nullable=True),
        sa.Column("due_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("completed_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_tasks")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_workflow_tasks_tenant_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("workflow_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_tasks_instance_id"), ["instance_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workflow_tasks_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "workflows",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("bot", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("active_version_id", sa.String(length=36), nullable=True),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=True),
        sa.Column("webhook_secret", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_workflows_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows")),
        sa.UniqueConstraint(
            "tenant_id", "bot", "name", name=op.f("uq_workflows_tenant_id_bot_name")
        ),
    )
    with op.batch_alter_table("workflows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workflows_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "workflow_instances",
        sa.Column("workflow_id", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("variant", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=True),
        sa.Column("entity_id", sa.String(length=200), nullable=True),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("trigger_type", sa.String(length=16), nullable=False),
        sa.Column("trigger_key", sa.String(length=200), nullable=True),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("parent_token", sa.String(length=64), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("started_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", sa.String(length=64), nullable=True),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_instances_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_instances")),
        sa.UniqueConstraint(
            "workflow_id", "trigger_key", name=op.f("uq_workflow_instances_workflow_id_trigger_key")
        ),
    )
    with op.batch_alter_table("workflow_instances", schema=None) as batch_op:
        batch_op.create_index(
            "ix_workflow_instances_list", ["tenant_id", "workflow_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workflow_instances_parent_id"), ["parent_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workflow_instances_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "workflow_metrics",
        sa.Column("workflow_id", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("variant", sa.String(length=36), nullable=False),
        sa.Column("hour", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Integer(), nullable=False),
        sa.Column("duration_ms_total", sa.Integer(), nullable=False),
        sa.Column("duration_ms_max", sa.Integer(), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_metrics_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_metrics")),
        sa.UniqueConstraint(
            "workflow_id",
            "version_id",
            "variant",
            "hour",
            name=op.f("uq_workflow_metrics_workflow_id_version_id_variant_hour"),
        ),
    )
    with op.batch_alter_table("workflow_metrics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_metrics_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "workflow_triggers",
        sa.Column("workflow_id", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("next_run_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_triggers_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_triggers")),
    )
    with op.batch_alter_table("workflow_triggers", schema=None) as batch_op:
        batch_op.create_index("ix_workflow_triggers_due", ["type", "next_run_at"], unique=False)
        batch_op.create_index(
            "ix_workflow_triggers_event", ["tenant_id", "type", "event"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_workflow_triggers_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "workflow_versions",
        sa.Column("workflow_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_versions_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_versions")),
        sa.UniqueConstraint(
            "workflow_id", "number", name=op.f("uq_workflow_versions_workflow_id_number")
        ),
    )
    with op.batch_alter_table("workflow_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_versions_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "workflow_steps",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("node_type", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("handle", sa.String(length=64), nullable=True),
        sa.Column("input", sa.JSON(), nullable=True),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.Column("skipped_by", sa.String(length=36), nullable=True),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["workflow_instances.id"],
            name=op.f("fk_workflow_steps_instance_id_workflow_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_steps")),
        sa.UniqueConstraint("instance_id", "seq", name=op.f("uq_workflow_steps_instance_id_seq")),
    )
    with op.batch_alter_table("workflow_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workflow_steps_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "workflow_waits",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("deadline", frontdesk.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", frontdesk.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["workflow_instances.id"],
            name=op.f("fk_workflow_waits_instance_id_workflow_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_waits")),
        sa.UniqueConstraint(
            "instance_id", "token", name=op.f("uq_workflow_waits_instance_id_token")
        ),
    )
    with op.batch_alter_table("workflow_waits", schema=None) as batch_op:
        batch_op.create_index("ix_workflow_waits_key", ["tenant_id", "key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_workflow_waits_tenant_id"), ["tenant_id"], unique=False
        )

    with op.batch_alter_table("faq_queries", schema=None) as batch_op:
        batch_op.alter_column(
            "score", existing_type=sa.FLOAT(), type_=sa.Double(), existing_nullable=False
        )

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_claim"))
        batch_op.create_index(
            "ix_jobs_claim", ["status", sa.literal_column("priority DESC"), "id"], unique=False
        )

    with op.batch_alter_table("vault_credential_versions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_vault_credential_versions_credential_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_vault_credential_versions_credential_id_version"),
            ["credential_id", "version"],
        )

    with op.batch_alter_table("vault_credentials", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_vault_credentials_tenant_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_vault_credentials_tenant_id_name"), ["tenant_id", "name"]
        )

    with op.batch_alter_table("vault_references", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_vault_references_credential_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_vault_references_credential_id_kind_ref_id"),
            ["credential_id", "kind", "ref_id"],
        )

    for table in TABLES:
        rls.enable(table)
    _append_only("workflow_audit")


def downgrade() -> None:
    for table in TABLES:
        rls.disable(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS workflow_audit_append_only ON workflow_audit")
        op.execute("DROP FUNCTION IF EXISTS workflow_audit_append_only()")
    with op.batch_alter_table("vault_references", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_vault_references_credential_id_kind_ref_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_vault_references_credential_id"), ["credential_id", "kind", "ref_id"]
        )

    with op.batch_alter_table("vault_credentials", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_vault_credentials_tenant_id_name"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_vault_credentials_tenant_id"), ["tenant_id", "name"]
        )

    with op.batch_alter_table("vault_credential_versions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_vault_credential_versions_credential_id_version"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_vault_credential_versions_credential_id"), ["credential_id", "version"]
        )

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_claim")
        batch_op.create_index(
            batch_op.f("ix_jobs_claim"), ["status", "priority", "id"], unique=False
        )

    with op.batch_alter_table("faq_queries", schema=None) as batch_op:
        batch_op.alter_column(
            "score", existing_type=sa.Double(), type_=sa.FLOAT(), existing_nullable=False
        )

    with op.batch_alter_table("workflow_waits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_waits_tenant_id"))
        batch_op.drop_index("ix_workflow_waits_key")

    op.drop_table("workflow_waits")
    with op.batch_alter_table("workflow_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_steps_tenant_id"))

    op.drop_table("workflow_steps")
    with op.batch_alter_table("workflow_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_versions_tenant_id"))

    op.drop_table("workflow_versions")
    with op.batch_alter_table("workflow_triggers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_triggers_tenant_id"))
        batch_op.drop_index("ix_workflow_triggers_event")
        batch_op.drop_index("ix_workflow_triggers_due")

    op.drop_table("workflow_triggers")
    with op.batch_alter_table("workflow_metrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_metrics_tenant_id"))

    op.drop_table("workflow_metrics")
    with op.batch_alter_table("workflow_instances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_instances_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_workflow_instances_parent_id"))
        batch_op.drop_index("ix_workflow_instances_list")

    op.drop_table("workflow_instances")
    with op.batch_alter_table("workflows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflows_tenant_id"))

    op.drop_table("workflows")
    with op.batch_alter_table("workflow_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_tasks_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_workflow_tasks_instance_id"))

    op.drop_table("workflow_tasks")
    with op.batch_alter_table("workflow_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_audit_tenant_id"))

    op.drop_table("workflow_audit")
