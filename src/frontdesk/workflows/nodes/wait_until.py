"""The wait-until node: waits for a point in time (ISO-8601, or an expression giving one)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from frontdesk.workflows.nodes.base import Effect, Node, NodeConfig, NodeError, Result, Step, Wait


class WaitUntilConfig(NodeConfig):
    """``until``: ``2026-12-01T09:00:00Z`` or ``{{ vars.follow_up_at }}``."""

    until: str


class WaitUntil(Node):
    """Parks the branch until ``until`` (goes straight on if it has passed)."""

    type = "wait_until"
    Config = WaitUntilConfig
    effect: ClassVar[Effect] = Effect.WAIT

    def check(self, config: Any) -> list[str]:
        """A valid template."""
        from frontdesk.workflows.expressions import check_template

        return check_template(config.until)

    async def run(self, step: Step) -> Result | Wait:
        """Wait until the rendered time."""
        text = step.render(step.config.until).strip()
        try:
            until = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as e:
            raise NodeError(f"not an ISO-8601 time: {text[:60]!r}", "configuration") from e
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        if until <= step.now:
            return Result(output={"until": until.isoformat()})
        return Wait("timer", until=until)

    async def resume(self, step: Step, wake: Any) -> Result:
        """The time has come."""
        return Result()
