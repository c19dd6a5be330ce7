"""The wait-for-reply node: parks until the customer writes again in a conversation."""

from __future__ import annotations

from typing import Any

from frontdesk.workflows.nodes.base import NodeError, Result, Step, Wait
from frontdesk.workflows.nodes.waiting import WaitingConfig, WaitingNode


class WaitReplyConfig(WaitingConfig):
    """``conversation_id``: a template, by default the triggering conversation."""

    conversation_id: str = "{{ trigger.conversation_id }}"


class WaitReply(WaitingNode):
    """Woken by the customer's next message (``{message_id, text}``), or by the timeout."""

    type = "wait_reply"
    Config = WaitReplyConfig

    def check(self, config: Any) -> list[str]:
        """A valid template."""
        from frontdesk.workflows.expressions import check_template

        return check_template(config.conversation_id)

    async def run(self, step: Step) -> Result | Wait:
        """Wait for a message in the conversation."""
        conversation = step.render(step.config.conversation_id).strip()
        if not conversation:
            raise NodeError("no conversation to wait on", "configuration")
        return Wait("event", until=self.deadline(step), key=f"reply:{conversation}")
