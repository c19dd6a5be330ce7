"""The sub-workflow node: starts another workflow of the tenant and waits for its end."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from frontdesk.workflows.nodes.base import NodeError, Result, Step, Wait, Wake
from frontdesk.workflows.nodes.waiting import WaitingConfig, WaitingNode

MAX_DEPTH = 5


class SubworkflowConfig(WaitingConfig):
    """The child workflow (its active version), and its input (templates allowed)."""

    workflow_id: str = Field(min_length=1, max_length=36)
    input: dict[str, Any] = Field(default_factory=dict)


class Subworkflow(WaitingNode):
    """Leaves by ``default`` with the child's output, ``error`` if it failed, or ``timeout``."""

    type = "subworkflow"
    Config = SubworkflowConfig
    handles: ClassVar[tuple[str, ...]] = ("default", "timeout")

    def check(self, config: Any) -> list[str]:
        """Templates of the input."""
        from frontdesk.workflows.expressions import check_data

        return check_data(config.input)

    async def run(self, step: Step) -> Result | Wait:
        """Start the child (the driver creates it) unless that goes past the depth limit."""
        from frontdesk.workflows.expressions import render_data

        if step.level + 1 > MAX_DEPTH:
            raise NodeError(f"sub-workflows nest deeper than {MAX_DEPTH} levels", "configuration")
        return Wait(
            "child",
            until=self.deadline(step),
            data={
                "workflow_id": step.config.workflow_id,
                "input": render_data(step.config.input, step.scope),
            },
        )

    async def resume(self, step: Step, wake: Wake) -> Result:
        """The child's output, or its failure as this node's error."""
        if wake.kind == "timeout":
            return Result(output={"timed_out": True}, handle="timeout")
        if wake.data.get("status") != "completed":
            error = wake.data.get("error") or {}
            raise NodeError(
                f"sub-workflow {wake.data.get('status')}: {error.get('message', '')}".strip(),
                "configuration",
                data={"child_id": wake.data.get("instance_id")},
            )
        return Result(output=wake.data.get("output"))
