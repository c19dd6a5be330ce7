"""Escalate node: hand the conversation to a human."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from frontdesk.workflows.nodes import rendering
from frontdesk.workflows.nodes.base import Effect, Node, NodeConfig, NodeError, Result, Step

TRIGGER_CONVERSATION = "{{ trigger.conversation_id }}"


class EscalateConfig(NodeConfig):
    """Which conversation, and why (both templates)."""

    conversation_id: str = Field(default=TRIGGER_CONVERSATION, min_length=1, max_length=500)
    reason: str = Field(default="workflow", min_length=1, max_length=500)


class Escalate(Node):
    """``escalate``: the conversation waits for a member (left alone if one already has it)."""

    type = "escalate"
    Config = EscalateConfig
    effect = Effect.DB

    def check(self, config: Any) -> list[str]:
        """Problems in the templates."""
        return rendering.template_problems(config, "conversation_id", "reason")

    async def run(self, step: Step) -> Result:
        """Render the target and the reason, then escalate."""
        config: EscalateConfig = step.config
        conversation = rendering.text(step, config.conversation_id).strip()
        if not conversation:
            raise NodeError("No conversation to escalate", "configuration")
        reason = rendering.text(step, config.reason).strip()[:500] or "workflow"
        done: dict[str, Any] = await step.effects.escalate(step, conversation, reason)
        return Result(output=done, explanation=f"conversation is {done['status']}: {reason}")
