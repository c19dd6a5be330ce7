"""The condition node: a nested rule group sends the run on by ``true`` or ``false``."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from frontdesk.workflows import rules
from frontdesk.workflows.expressions import SCOPE_NAMES
from frontdesk.workflows.nodes.base import Effect, Node, NodeConfig, Result, Step
from frontdesk.workflows.rules import RuleGroup


class ConditionConfig(NodeConfig):
    """The rule group to evaluate."""

    rules: RuleGroup

    @model_validator(mode="before")
    @classmethod
    def _bare_group(cls, data: Any) -> Any:
        # The builder may put the group itself in ``data`` (``{logical, conditions}``).
        if isinstance(data, dict) and "rules" not in data and "conditions" in data:
            group = {key: data[key] for key in ("id", "logical", "conditions") if key in data}
            rest = {key: value for key, value in data.items() if key not in group}
            return {**rest, "rules": group}
        return data


class ConditionNode(Node):
    """Leaves by ``true`` when the rules match, else by ``false``; explains why."""

    type = "condition"
    Config = ConditionConfig
    effect = Effect.PURE
    handles = ("true", "false")

    def check(self, config: Any) -> list[str]:
        """Unknown operators, missing values, bad patterns and templates in the rules."""
        return rules.check(_config(config).rules, SCOPE_NAMES)

    async def run(self, step: Step) -> Result:
        """Evaluate the rules over the run's variables."""
        # An ExpressionError (a failing template) is a NodeError of class configuration.
        verdict = rules.evaluate(_config(step.config).rules, step.scope, now=step.now)
        return Result(
            output={"matched": verdict.matched},
            handle="true" if verdict.matched else "false",
            explanation=verdict.explanation,
        )


def _config(config: Any) -> ConditionConfig:
    if isinstance(config, ConditionConfig):
        return config
    return ConditionConfig.model_validate(config)
