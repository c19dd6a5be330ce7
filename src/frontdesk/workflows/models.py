"""Workflow tables: definitions, versions, triggers, runs, steps, waits, tasks, audit, metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.core.clock import utcnow
from frontdesk.core.db import Base, TenantMixin


class Workflow(TenantMixin, Base):
    """A workflow of a bot: its editable draft, its active version and A/B variants."""

    __tablename__ = "workflows"
    __table_args__ = (UniqueConstraint("tenant_id", "bot", "name"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    bot: Mapped[str] = mapped_column(String(64), default="default")
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[str | None] = mapped_column(String(100), default=None)
    draft: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active_version_id: Mapped[str | None] = mapped_column(String(36), default=None)
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """A/B split: ``[{version_id, weight}]``; empty means every run takes the active version."""
    template: Mapped[str | None] = mapped_column(String(64), default=None)
    webhook_secret: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(100), default=None)
    draft_revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Incremented by every change of the draft: an editor saves against the one it loaded."""


class WorkflowVersion(TenantMixin, Base):
    """An immutable snapshot of a definition."""

    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("workflow_id", "number"),)

    workflow_id: Mapped[str] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    notes: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[str | None] = mapped_column(String(36), default=None)
    author_id: Mapped[str | None] = mapped_column(String(100), default=None)


class WorkflowTrigger(TenantMixin, Base):
    """A trigger of an active version, kept in a table so events and schedules find it fast."""

    __tablename__ = "workflow_triggers"
    __table_args__ = (
        Index("ix_workflow_triggers_event", "tenant_id", "type", "event"),
        Index("ix_workflow_triggers_due", "type", "next_run_at"),
    )

    workflow_id: Mapped[str] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(16))
    event: Mapped[str | None] = mapped_column(String(64), default=None)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    next_run_at: Mapped[datetime | None] = mapped_column(default=None)


class WorkflowInstance(TenantMixin, Base):
    """A run, pinned to the version it started on."""

    __tablename__ = "workflow_instances"
    __table_args__ = (
        UniqueConstraint("workflow_id", "trigger_key"),
        Index("ix_workflow_instances_list", "tenant_id", "workflow_id", "status"),
    )

    workflow_id: Mapped[str] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version_id: Mapped[str] = mapped_column(String(36))
    variant: Mapped[str | None] = mapped_column(String(36), default=None)
    status: Mapped[str] = mapped_column(String(16), default="running")
    entity_type: Mapped[str | None] = mapped_column(String(64), default=None)
    entity_id: Mapped[str | None] = mapped_column(String(200), default=None)
    input: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    output: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True, default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    trigger_type: Mapped[str] = mapped_column(String(16), default="manual")
    trigger_key: Mapped[str | None] = mapped_column(String(200), default=None)
    parent_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    parent_token: Mapped[str | None] = mapped_column(String(64), default=None)
    level: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    correlation_id: Mapped[str | None] = mapped_column(String(64), default=None)


class WorkflowStep(TenantMixin, Base):
    """One execution of one node in a run (a node instance): the timeline's rows."""

    __tablename__ = "workflow_steps"
    __table_args__ = (UniqueConstraint("instance_id", "seq"),)

    instance_id: Mapped[str] = mapped_column(
        ForeignKey("workflow_instances.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    node_id: Mapped[str] = mapped_column(String(64))
    node_type: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    handle: Mapped[str | None] = mapped_column(String(64), default=None)
    input: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True, default=None)
    output: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True, default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    explanation: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    skip_reason: Mapped[str | None] = mapped_column(Text, default=None)
    skipped_by: Mapped[str | None] = mapped_column(String(100), default=None)


class WorkflowWait(TenantMixin, Base):
    """A branch parked until an event with its match key arrives (event, reply, approval, child)."""

    __tablename__ = "workflow_waits"
    __table_args__ = (
        UniqueConstraint("instance_id", "token"),
        Index("ix_workflow_waits_key", "tenant_id", "key"),
    )

    instance_id: Mapped[str] = mapped_column(
        ForeignKey("workflow_instances.id", ondelete="CASCADE")
    )
    token: Mapped[str] = mapped_column(String(64))
    node_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deadline: Mapped[datetime | None] = mapped_column(default=None)


TASK_STATUSES = ("open", "in_progress", "completed", "cancelled")
"""A task's states: open → in_progress → completed, or cancelled before it is done."""
TASK_SOURCES = ("workflow", "conversation", "api")
"""Who created a task: a workflow's node, a conversation's handler, or the REST API."""
TASK_PRIORITIES = ("low", "normal", "high", "urgent")


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


class WorkflowTask(TenantMixin, Base):
    """A task for a member: from a workflow, a conversation or the API (see ``frontdesk.tasks``).

    One table for every task of the product; its life cycle belongs to
    :mod:`frontdesk.tasks.service`.
    """

    __tablename__ = "workflow_tasks"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_workflow_tasks_tenant_assignee_status", "tenant_id", "assignee_id", "status"),
        _one_of("status", TASK_STATUSES),
        _one_of("source", TASK_SOURCES),
        _one_of("priority", TASK_PRIORITIES),
    )

    instance_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    assignee_id: Mapped[str | None] = mapped_column(String(200), default=None)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default="open")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), default=None, index=True
    )
    contact_id: Mapped[str | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None
    )
    source: Mapped[str] = mapped_column(String(16), default="workflow", server_default="workflow")
    priority: Mapped[str] = mapped_column(String(8), default="normal", server_default="normal")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WorkflowAudit(TenantMixin, Base):
    """One entry of a workflow's append-only, hash-chained audit log."""

    __tablename__ = "workflow_audit"
    __table_args__ = (UniqueConstraint("workflow_id", "seq"),)

    workflow_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class WorkflowMetric(TenantMixin, Base):
    """Hourly rollup of a workflow version's (and variant's) runs."""

    __tablename__ = "workflow_metrics"
    __table_args__ = (UniqueConstraint("workflow_id", "version_id", "variant", "hour"),)

    workflow_id: Mapped[str] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    version_id: Mapped[str] = mapped_column(String(36))
    variant: Mapped[str] = mapped_column(String(36), default="")
    hour: Mapped[datetime] = mapped_column()
    started: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms_total: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms_max: Mapped[int] = mapped_column(Integer, default=0)
    steps: Mapped[int] = mapped_column(Integer, default=0)
