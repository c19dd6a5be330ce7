"""The end node: finishes its branch, and sets the run's output."""

from __future__ import annotations

from typing import Any, ClassVar

from frontdesk.workflows.nodes.base import Effect, Node, NodeConfig, Result, Step


class EndConfig(NodeConfig):
    """``output``: any JSON; strings in it may hold ``{{ expressions }}``."""

    output: Any = None


class End(Node):
    """The run completes when its last branch ends."""

    type = "end"
    Config = EndConfig
    effect: ClassVar[Effect] = Effect.CONTROL
    handles: ClassVar[tuple[str, ...]] = ()

    def check(self, config: Any) -> list[str]:
        """Problems in the output's templates."""
        from frontdesk.workflows.expressions import check_data

        return check_data(config.output)

    async def run(self, step: Step) -> Result:
        """The rendered output."""
        from frontdesk.workflows.expressions import render_data

        return Result(output=render_data(step.config.output, step.scope))
