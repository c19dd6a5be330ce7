"""The human-approval node: parks until an allowed member approves or rejects."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from frontdesk.core.auth import Role
from frontdesk.workflows.nodes.base import Result, Step, Wait, Wake
from frontdesk.workflows.nodes.waiting import WaitingConfig, WaitingNode


class ApprovalConfig(WaitingConfig):
    """Who may decide (roles, and if set only these member ids), and whether MFA is required."""

    title: str = Field(default="Approval needed", max_length=200)
    message: str = Field(default="", max_length=4000)
    allowed_roles: list[Role] = Field(default_factory=lambda: [Role.ADMIN, Role.CONFIG_MANAGER])
    approvers: list[str] = Field(default_factory=list, max_length=100)
    require_mfa: bool = False


class Approval(WaitingNode):
    """Leaves by ``approved``, ``rejected`` or ``timeout``."""

    type = "approval"
    Config = ApprovalConfig
    handles: ClassVar[tuple[str, ...]] = ("approved", "rejected", "timeout")

    def check(self, config: Any) -> list[str]:
        """Templates of the title and message."""
        from frontdesk.workflows.expressions import check_template

        return check_template(config.title) + check_template(config.message)

    async def run(self, step: Step) -> Result | Wait:
        """Ask for a decision."""
        config = step.config
        return Wait(
            "approval",
            until=self.deadline(step),
            key=f"approval:{step.instance_id}",
            data={
                "title": step.render(config.title),
                "message": step.render(config.message),
                "allowed_roles": [r.value for r in config.allowed_roles],
                "approvers": config.approvers,
                "require_mfa": config.require_mfa,
            },
        )

    async def resume(self, step: Step, wake: Wake) -> Result:
        """The decision (or the timeout)."""
        if wake.kind == "timeout":
            return Result(output={"timed_out": True}, handle="timeout")
        decision = wake.data.get("decision")
        handle = "approved" if decision == "approve" else "rejected"
        return Result(
            output=wake.data, handle=handle, explanation=f"{handle} by {wake.data.get('by')}"
        )
