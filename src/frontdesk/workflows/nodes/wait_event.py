"""The wait-for-event node: parks until a domain event of a type (matching a rule group) arrives."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from frontdesk.workflows.nodes.base import Result, Step, Wait
from frontdesk.workflows.nodes.waiting import WaitingConfig, WaitingNode


class WaitEventConfig(WaitingConfig):
    """``event``: the event type; ``when``: a rule group its payload must match."""

    event: str = Field(min_length=1, max_length=64)
    when: dict[str, Any] | None = None


class WaitEvent(WaitingNode):
    """Woken by the first matching event (its payload is the output), or by the timeout."""

    type = "wait_event"
    Config = WaitEventConfig

    def check(self, config: Any) -> list[str]:
        """Problems of the rule group."""
        from frontdesk.workflows.rules import RuleGroup, check

        return check(RuleGroup.model_validate(config.when)) if config.when else []

    async def run(self, step: Step) -> Result | Wait:
        """Wait for ``event`` (the trigger matcher checks ``when`` against each payload).

        The rules' values are rendered now, against the run (``{{ input.order_id }}``); their
        fields are read later, from each event's payload.
        """
        when = _values_rendered(step.config.when, step) if step.config.when else None
        return Wait(
            "event",
            until=self.deadline(step),
            key=f"event:{step.config.event}",
            data={"when": when},
        )


def _values_rendered(group: Any, step: Step) -> Any:
    """A copy of a rule group with each rule's ``value`` rendered against the run."""
    from frontdesk.workflows.expressions import render_data

    if isinstance(group, dict):
        if "conditions" in group:
            return {**group, "conditions": [_values_rendered(c, step) for c in group["conditions"]]}
        if "value" in group:
            return {**group, "value": render_data(group["value"], step.scope, now=step.now)}
    return group
