"""What the waiting nodes share: a timeout, and the ``timeout`` edge taken when it passes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import Field

from frontdesk.workflows.nodes.base import Effect, Node, NodeConfig, Result, Step, Wake

MAX_WAIT_SECONDS = 366 * 86_400.0


class WaitingConfig(NodeConfig):
    """``wait_timeout_seconds``: how long to wait before leaving by the ``timeout`` edge."""

    wait_timeout_seconds: float | None = Field(default=None, gt=0, le=MAX_WAIT_SECONDS)


class WaitingNode(Node):
    """A node that parks its branch until woken, or until its timeout."""

    effect: ClassVar[Effect] = Effect.WAIT
    handles: ClassVar[tuple[str, ...]] = ("default", "timeout")

    @staticmethod
    def deadline(step: Step) -> datetime | None:
        """When the wait times out (``None``: never)."""
        seconds = step.config.wait_timeout_seconds
        return step.now + timedelta(seconds=seconds) if seconds else None

    async def resume(self, step: Step, wake: Wake) -> Result:
        """The woken value, or the ``timeout`` edge."""
        if wake.kind == "timeout":
            return Result(output={"timed_out": True}, handle="timeout")
        return Result(output=wake.data)
