"""The join node: waits for the branches of a fork, by policy (the engine does the bookkeeping)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from frontdesk.workflows.nodes.base import Effect, Node, NodeConfig
from frontdesk.workflows.nodes.waiting import MAX_WAIT_SECONDS


class JoinConfig(NodeConfig):
    """How many branches to wait for, and for how long.

    ``all`` branches, ``any`` one, or the ``first_n`` (``count``). ``wait_timeout_seconds``
    counts from the first arrival; when it passes the join goes on by its ``timeout`` edge.
    """

    policy: Literal["all", "any", "first_n"] = "all"
    count: int = Field(default=1, ge=1, le=100)
    wait_timeout_seconds: float | None = Field(default=None, gt=0, le=MAX_WAIT_SECONDS)


class Join(Node):
    """A barrier: the engine counts arrivals and cancels branches no longer needed."""

    type = "join"
    Config = JoinConfig
    effect: ClassVar[Effect] = Effect.CONTROL
    handles: ClassVar[tuple[str, ...]] = ("default", "timeout")
