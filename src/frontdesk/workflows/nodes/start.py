"""The start node: where every run begins."""

from __future__ import annotations

from typing import ClassVar

from frontdesk.workflows.nodes.base import Effect, Node, Result, Step


class Start(Node):
    """Passes the run on; its triggers are declared on the definition."""

    type = "start"
    effect: ClassVar[Effect] = Effect.CONTROL

    async def run(self, step: Step) -> Result:
        """Go on by the default edge."""
        return Result()
