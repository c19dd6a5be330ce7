"""Request and response bodies of the workflow API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

NAME = Field(min_length=1, max_length=200)
BOT = Field(default="default", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class WorkflowCreate(BaseModel):
    """A new workflow: its draft may be empty or incomplete (validation runs on versions)."""

    model_config = ConfigDict(extra="forbid")

    name: str = NAME
    bot: str = BOT
    description: str = Field(default="", max_length=4000)
    definition: dict[str, Any] = Field(default_factory=dict)


class WorkflowUpdate(BaseModel):
    """A change to the draft or the workflow's description."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    definition: dict[str, Any] | None = None
    base_revision: int | None = Field(default=None, ge=1)
    """The ``draft_revision`` the change was made on: another one answers 409 ``draft_conflict``."""


class WorkflowPublic(BaseModel):
    """A workflow as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    bot: str
    description: str
    owner_id: str | None
    active_version_id: str | None
    variants: list[dict[str, Any]]
    template: str | None
    created_at: datetime
    updated_at: datetime
    updated_by: str | None
    draft_revision: int
    definition: dict[str, Any] = Field(validation_alias="draft")


class VersionCreate(BaseModel):
    """Freeze the draft as a new version."""

    model_config = ConfigDict(extra="forbid")

    notes: str = Field(default="", max_length=4000)


class WorkflowVersionPublic(BaseModel):
    """An immutable version."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    workflow_id: str
    number: int
    notes: str
    parent_id: str | None
    author_id: str | None
    created_at: datetime
    definition: dict[str, Any]


class Activate(BaseModel):
    """Which version new runs take."""

    model_config = ConfigDict(extra="forbid")

    version_id: str


class Variant(BaseModel):
    """One arm of an A/B split."""

    model_config = ConfigDict(extra="forbid")

    version_id: str
    weight: int = Field(ge=0, le=10_000)


class Variants(BaseModel):
    """The A/B split (empty: every run takes the active version)."""

    model_config = ConfigDict(extra="forbid")

    variants: list[Variant] = Field(default_factory=list, max_length=10)


class CopyIn(BaseModel):
    """Copy a workflow's draft to another bot."""

    model_config = ConfigDict(extra="forbid")

    bot: str = BOT
    name: str | None = Field(default=None, min_length=1, max_length=200)


class StartRun(BaseModel):
    """A manual or API start."""

    model_config = ConfigDict(extra="forbid")

    entity_type: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=200)
    input: dict[str, Any] = Field(default_factory=dict)
    version_id: str | None = None
    idempotency_key: str | None = Field(default=None, max_length=150)


class InstancePublic(BaseModel):
    """A run."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    workflow_id: str
    version_id: str
    variant: str | None
    status: str
    entity_type: str | None
    entity_id: str | None
    input: dict[str, Any]
    output: Any
    error: dict[str, Any] | None
    trigger_type: str
    parent_id: str | None
    level: int
    started_at: datetime
    finished_at: datetime | None


class StepPublic(BaseModel):
    """One node instance of a run."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    node_id: str
    node_type: str
    token: str
    status: str
    handle: str | None
    input: Any
    output: Any
    error: dict[str, Any] | None
    explanation: str | None
    attempts: int
    started_at: datetime
    finished_at: datetime | None
    skip_reason: str | None
    skipped_by: str | None


class InstanceDetail(InstancePublic):
    """A run with its steps and what it waits for."""

    steps: list[StepPublic] = Field(default_factory=list)
    waiting: list[dict[str, Any]] = Field(default_factory=list)


class SkipIn(BaseModel):
    """Why a node is skipped."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)


class RetryIn(BaseModel):
    """Where a run starts again."""

    model_config = ConfigDict(extra="forbid")

    node_id: str = Field(min_length=1, max_length=64)


class ApprovalIn(BaseModel):
    """A member's decision on an approval node."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    comment: str = Field(default="", max_length=2000)


class Accepted(BaseModel):
    """An operation queued on the run (it applies in order with the run's other work)."""

    accepted: bool = True
    instance_id: str


class CustomEvent(BaseModel):
    """A custom domain event posted by an integration (published as ``custom.<type>``)."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=57, pattern=r"^[A-Za-z0-9_.-]+$")
    payload: dict[str, Any] = Field(default_factory=dict)


class WebhookSecret(BaseModel):
    """The workflow's webhook URL and its new signing secret (shown once)."""

    url: str
    secret: str
    header: str


class TimelineEntry(BaseModel):
    """A bar of the Gantt chart."""

    seq: int
    node_id: str
    node_type: str
    label: str | None
    token: str
    status: str
    start: datetime
    end: datetime | None
    duration_ms: float | None
    attempts: int


class Timeline(BaseModel):
    """A run's execution timeline."""

    instance_id: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: float | None
    total_steps: int
    success_rate: float
    entries: list[TimelineEntry]


class MetricPublic(BaseModel):
    """One hour of one version's (and variant's) runs."""

    model_config = ConfigDict(from_attributes=True)

    version_id: str
    variant: str
    hour: datetime
    started: int
    completed: int
    failed: int
    cancelled: int
    duration_ms_total: int
    duration_ms_max: int
    steps: int


class SimulateIn(BaseModel):
    """What to simulate (the draft, a version, or a given definition) and on what sample."""

    model_config = ConfigDict(extra="forbid")

    version_id: str | None = None
    definition: dict[str, Any] | None = None
    entity_type: str | None = Field(default=None, max_length=64)
    """With no ``input``, the sample input of this entity type is used."""
    entity_id: str | None = Field(default=None, max_length=200)
    input: dict[str, Any] | None = None
    trigger: dict[str, Any] = Field(default_factory=dict)
    responses: dict[str, Any] = Field(default_factory=dict)
    events: dict[str, Any] = Field(default_factory=dict)
    approvals: dict[str, Literal["approve", "reject"]] = Field(default_factory=dict)


class ShadowIn(BaseModel):
    """Replay the active version's recent runs through a draft."""

    model_config = ConfigDict(extra="forbid")

    definition: dict[str, Any] | None = None
    """The definition to try (default: the draft)."""
    limit: int = Field(default=20, ge=1, le=200)


class InstallIn(BaseModel):
    """Install a template as a new workflow of a bot."""

    model_config = ConfigDict(extra="forbid")

    bot: str = BOT
    name: str | None = Field(default=None, min_length=1, max_length=200)
    activate: bool = True


class NodeGroup(BaseModel):
    """A palette group."""

    key: str
    label: str


class NodeType(BaseModel):
    """A node type as the builder sees it."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    type: str
    label: str
    group: str
    effect: str
    handles: list[str]
    """The out handles its edges may use (``default`` is the unnamed one; ``error`` on all)."""
    description: str
    config_schema: dict[str, Any] = Field(alias="schema")
    """The JSON Schema of its ``data`` (its Config model)."""


class PayloadField(BaseModel):
    """A field of an event's payload."""

    name: str
    type: Literal["string", "number", "boolean", "date"] = "string"
    description: str = ""


class EventType(BaseModel):
    """An event type a trigger or a wait may listen to."""

    type: str
    description: str
    fields: list[PayloadField]
    pattern: bool = False
    """``custom.*``: any name under the prefix."""


class TriggerKind(BaseModel):
    """A kind of trigger and the fields of TriggerSpec it uses."""

    type: str
    label: str
    description: str
    fields: list[str]


class Catalog(BaseModel):
    """Everything the builder needs to know about the engine."""

    groups: list[NodeGroup]
    nodes: list[NodeType]
    triggers: list[TriggerKind]
    events: list[EventType]
    operators: dict[str, list[str]]
    """The operators offered for each value type (string, number, boolean, date)."""
    all_operators: list[str]
    unary_operators: list[str]
    """Operators that take no value."""
    scope: list[str]
    """The variables a run's expressions see (``trigger``, ``vars``, ``input``, …)."""
