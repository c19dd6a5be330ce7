"""The delay node: waits a fixed or computed number of seconds (a durable timer)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from pydantic import Field

from frontdesk.workflows.nodes.base import Effect, Node, NodeConfig, NodeError, Result, Step, Wait
from frontdesk.workflows.nodes.waiting import MAX_WAIT_SECONDS


class DelayConfig(NodeConfig):
    """``seconds``: a number, or a ``{{ expression }}`` giving one."""

    seconds: float | str = Field(default=60.0)


class Delay(Node):
    """Parks the branch; a timer that survives restarts wakes it."""

    type = "delay"
    Config = DelayConfig
    effect: ClassVar[Effect] = Effect.WAIT

    def check(self, config: Any) -> list[str]:
        """A number within the limit, or a valid template."""
        from frontdesk.workflows.expressions import check_template

        if isinstance(config.seconds, str):
            return check_template(config.seconds)
        if not 0 <= config.seconds <= MAX_WAIT_SECONDS:
            return [f"seconds must be between 0 and {MAX_WAIT_SECONDS:g}"]
        return []

    async def run(self, step: Step) -> Result | Wait:
        """Wait ``seconds`` (no wait at all for zero)."""
        from frontdesk.workflows.expressions import render_value

        raw = step.config.seconds
        try:
            seconds = float(render_value(raw, step.scope) if isinstance(raw, str) else raw)
        except (TypeError, ValueError) as e:
            raise NodeError(f"delay is not a number: {e}", "configuration") from e
        if not 0 <= seconds <= MAX_WAIT_SECONDS:
            raise NodeError(f"delay of {seconds:g} s is out of range", "configuration")
        if seconds == 0:
            return Result()
        return Wait("timer", until=step.now + timedelta(seconds=seconds))

    async def resume(self, step: Step, wake: Any) -> Result:
        """The time is up."""
        return Result()
