"""The fork node: every outgoing edge starts a branch that runs in parallel."""

from __future__ import annotations

from typing import ClassVar

from frontdesk.workflows.nodes.base import Effect, Node, Result, Step


class Fork(Node):
    """Splits the run into one branch per outgoing edge (joined again by a join node)."""

    type = "fork"
    effect: ClassVar[Effect] = Effect.CONTROL

    async def run(self, step: Step) -> Result:
        """Leave by every edge."""
        return Result(handle="*")
