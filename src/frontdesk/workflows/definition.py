"""The definition of a workflow: nodes, edges and triggers as JSON, compatible with React Flow.

A node's configuration lives in its ``data`` (what React Flow carries for custom nodes); the node
type's own model validates it. Edges leave a node through a handle (``sourceHandle``): ``None``
is the default way out, a condition uses ``true`` / ``false``, any node may have an ``error``
edge that catches its failure.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

NODE_ID = r"^[A-Za-z0-9_.:-]{1,64}$"
MAX_NODES = 500
MAX_EDGES = 2000


class Position(BaseModel):
    """Where the node sits on the canvas."""

    x: float = 0.0
    y: float = 0.0


class NodeSpec(BaseModel):
    """One node: an id, a type, a canvas position and its configuration (``data``)."""

    model_config = ConfigDict(extra="allow")  # React Flow's own fields (width, selected, …)

    id: str = Field(pattern=NODE_ID)
    type: str = Field(min_length=1, max_length=64)
    position: Position = Field(default_factory=Position)
    data: dict[str, Any] = Field(default_factory=dict)


class EdgeSpec(BaseModel):
    """A transition from ``source`` (through ``sourceHandle``) to ``target``."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1, max_length=128)
    source: str
    target: str
    sourceHandle: str | None = None  # noqa: N815 - React Flow's name
    label: str | None = None

    @property
    def handle(self) -> str:
        """The handle this edge leaves by (``default`` when unset)."""
        return self.sourceHandle or "default"


class TriggerSpec(BaseModel):
    """What starts a run: a domain event, the workflow's webhook, a schedule, or a call."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["event", "webhook", "cron", "manual"]
    event: str | None = Field(default=None, max_length=64)
    """For ``event``: the event type (``message.received``, ``intent.detected``, ``custom.x``…)."""
    when: dict[str, Any] | None = None
    """For ``event``: a rule group the event payload must match."""
    cron: str | None = Field(default=None, max_length=120)
    timezone: str = "UTC"


class Settings(BaseModel):
    """Run-wide limits."""

    model_config = ConfigDict(extra="forbid")

    max_steps: int = Field(default=1000, ge=1, le=100_000)
    """A run that executes more node steps than this fails (a loop that never waits)."""


class Definition(BaseModel):
    """A whole workflow graph."""

    model_config = ConfigDict(extra="allow")  # React Flow viewport and the like

    nodes: list[NodeSpec] = Field(default_factory=list, max_length=MAX_NODES)
    edges: list[EdgeSpec] = Field(default_factory=list, max_length=MAX_EDGES)
    triggers: list[TriggerSpec] = Field(default_factory=list, max_length=20)
    variables: dict[str, Any] = Field(default_factory=dict)
    settings: Settings = Field(default_factory=Settings)

    def node(self, node_id: str) -> NodeSpec:
        """The node with ``node_id`` (``KeyError`` if absent)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)
