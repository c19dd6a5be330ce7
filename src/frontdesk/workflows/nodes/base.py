"""The node contract: a typed configuration, a run that returns a result or a wait, and effects.

A node never touches the database or the network itself: side effects go through
:class:`Effects`, which the engine implements for real runs and the simulator with recorded
fakes. What kind of effect a node has (:class:`Effect`) tells the engine when it must persist:
pure nodes are recomputed after a crash, side effects never repeat.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal, Protocol, get_args

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.core.errors import FrontdeskError

ErrorClass = Literal["transient", "rate_limit", "authentication", "configuration"]
ERROR_CLASSES: tuple[ErrorClass, ...] = get_args(ErrorClass)
RETRIED_BY_DEFAULT: tuple[ErrorClass, ...] = ("transient", "rate_limit")


class Effect(StrEnum):
    """How a node touches the world, which decides when the engine persists."""

    PURE = "pure"
    """Computes from its inputs only (condition, set): recomputed after a crash."""
    DB = "db"
    """Writes in the run's own transaction (send message, task, escalate): atomic with the state."""
    EXTERNAL = "external"
    """Calls out of the process (HTTP, LLM): its result is persisted before the run goes on."""
    WAIT = "wait"
    """Parks its branch until a timer, an event, a reply, an approval or a child run."""
    CONTROL = "control"
    """Shapes the run itself (start, fork, join, end, sub-workflow)."""


class RetryPolicy(BaseModel):
    """How a failing node is tried again."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(default=1, ge=1, le=20)
    backoff_seconds: float = Field(default=1.0, ge=0.0, le=3600.0)
    """Wait before the second attempt; doubled for each later one (with jitter)."""
    max_interval_seconds: float = Field(default=300.0, ge=0.0, le=86_400.0)
    retry_on: list[ErrorClass] = Field(default_factory=lambda: list(RETRIED_BY_DEFAULT))


class NodeConfig(BaseModel):
    """What every node's ``data`` may hold, whatever its type."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    timeout_seconds: float | None = Field(default=None, gt=0, le=3600)
    """Wall-clock limit of one attempt (a node that hangs fails with a transient error)."""
    continue_on_error: bool = False
    """On final failure, go on by the default edge with the error as the node's output."""


class NodeError(FrontdeskError):
    """A node failed; ``error_class`` decides whether and how it is retried."""

    status, code, title = 422, "node_failed", "Workflow node failed"

    def __init__(
        self,
        detail: str,
        error_class: ErrorClass = "transient",
        *,
        retry_after: float | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.error_class: ErrorClass = error_class
        self.retry_after = retry_after
        self.data = dict(data or {})


@dataclass(slots=True)
class Result:
    """A node finished: its output, the handle to leave by, and why (for the trace)."""

    output: Any = None
    handle: str = "default"
    explanation: str | None = None
    variables: dict[str, Any] | None = None
    """Variables to set for the rest of the run (``vars.<name>``)."""


@dataclass(slots=True)
class Wait:
    """A node parks its branch until it is woken.

    ``kind`` is ``timer`` (woken at ``until``), ``event`` (an event whose match key equals
    ``key``), ``approval`` (a member's decision) or ``child`` (a sub-workflow run ends).
    ``until`` on a non-timer wait is its timeout.
    """

    kind: Literal["timer", "event", "approval", "child"]
    until: datetime | None = None
    key: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Wake:
    """Why a parked branch runs again (``timer``, ``event``, ``timeout``, ``approval``, …)."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HttpCall:
    """An outbound HTTP request of an HTTP action."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any = None
    """JSON body (``None`` for none)."""
    timeout: float = 30.0
    credential_id: str | None = None
    auth: Literal["bearer", "basic", "header", "query"] | None = None
    auth_name: str | None = None
    """The header or query parameter name for ``header`` / ``query`` auth."""


@dataclass(frozen=True, slots=True)
class HttpResult:
    """The response an HTTP action got."""

    status: int
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True, slots=True)
class LlmCall:
    """A completion asked of the LLM gateway."""

    prompt: str
    system: str | None = None
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    json_schema: dict[str, Any] | None = None
    json_mode: bool = False


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message a send node hands to the outbound path."""

    text: str
    conversation_id: str | None = None
    channel_id: str | None = None
    recipient: str | None = None
    template: dict[str, Any] | None = None
    """An approved provider template (``channels.canonical.Template``), sent instead of the text
    where the channel has templates."""
    tag: str | None = None
    """A message tag (``channels.canonical.MessageTag``), where the channel takes it."""
    translate: bool = True
    """Into the customer's language, when their conversation is in another one than the
    tenant's and a model is configured."""


@dataclass(frozen=True, slots=True)
class NewTask:
    """A task for a member, created by a workflow."""

    title: str
    description: str = ""
    assignee_id: str | None = None
    due_at: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)


class Effects(Protocol):
    """Every side effect a node may have: real in the engine, recorded fakes in the simulator."""

    simulated: bool

    async def http(self, step: Step, call: HttpCall) -> HttpResult:
        """Send ``call`` (SSRF-guarded, with ``step.key`` as its ``Idempotency-Key``)."""
        ...

    async def llm(self, step: Step, call: LlmCall) -> dict[str, Any]:
        """Ask the LLM gateway: ``{text, json?, model, tokens_in, tokens_out}``."""
        ...

    async def send_message(self, step: Step, message: OutgoingMessage) -> dict[str, Any]:
        """Queue ``message`` on the outbound path: ``{message_id, conversation_id}``."""
        ...

    async def create_task(self, step: Step, task: NewTask) -> dict[str, Any]:
        """Create a task: ``{task_id}``."""
        ...

    async def escalate(self, step: Step, conversation_id: str, reason: str) -> dict[str, Any]:
        """Hand the conversation to a human: ``{conversation_id, status}``."""
        ...


@dataclass(slots=True)
class Step:
    """One execution of one node: its configuration, the run's variables and its effects."""

    node_id: str
    config: Any
    scope: dict[str, Any]
    """The run's variables: ``input``, ``trigger``, ``entity``, ``vars``, ``nodes``…"""
    effects: Effects
    key: str
    """Idempotency key of this step: stable across a crash and a resume."""
    tenant_id: str
    instance_id: str
    now: datetime
    attempt: int = 1
    level: int = 0

    def render(self, template: str) -> str:
        """``template`` with each ``{{ expression }}`` replaced by its value."""
        from frontdesk.workflows.expressions import render

        return render(template, self.scope, now=self.now)

    def evaluate(self, expression: str) -> Any:
        """The value of a safe expression over the run's variables."""
        from frontdesk.workflows.expressions import evaluate

        return evaluate(expression, self.scope, now=self.now)


class Node:
    """A node type: ``type`` names it, ``Config`` validates its ``data``, ``run`` executes it."""

    type: ClassVar[str]
    Config: ClassVar[builtins.type[NodeConfig]] = NodeConfig
    effect: ClassVar[Effect] = Effect.PURE
    handles: ClassVar[tuple[str, ...]] = ("default",)
    """The handles its outgoing edges may use (``error`` is always allowed)."""

    def check(self, config: Any) -> list[str]:
        """Problems a valid-looking config still has (bad expressions, …); none by default."""
        return []

    def credentials(self, config: Any) -> list[str]:
        """The vault credentials ``config`` uses; none by default."""
        return []

    async def run(self, step: Step) -> Result | Wait:
        """Execute the node."""
        raise NotImplementedError

    async def resume(self, step: Step, wake: Wake) -> Result:
        """Finish a node that waited (only for nodes that return :class:`Wait`)."""
        raise NotImplementedError
