"""The set node: assigns run variables from literals, paths, expressions or templates."""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.workflows.expressions import (
    SCOPE_NAMES,
    ExpressionError,
    check,
    check_data,
    evaluate,
    lookup,
    render_data,
)
from frontdesk.workflows.nodes.base import Effect, Node, NodeConfig, NodeError, Result, Step

MAX_ASSIGNMENTS = 100
NAME = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
_PATH = re.compile(r"[^.\s{}]+(?:\.[^.\s{}]+)*")


class Assignment(BaseModel):
    """``vars.<name>`` takes ``value``, read as ``mode`` says."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME)
    mode: Literal["static", "variable", "expression", "template"] = "static"
    value: Any = None
    """static: the JSON value itself; variable: a dotted path; expression: a safe expression;
    template: a ``{{ }}`` template (dicts and lists rendered inside)."""


class SetConfig(NodeConfig):
    """The assignments, applied in order (a later one sees the earlier ones in ``vars``)."""

    assignments: list[Assignment] = Field(default_factory=list, max_length=MAX_ASSIGNMENTS)


class SetNode(Node):
    """Sets variables for the rest of the run; its output is the dict of assigned values."""

    type = "set"
    Config = SetConfig
    effect = Effect.PURE

    def check(self, config: Any) -> list[str]:
        """Paths, expressions and templates that would be refused."""
        problems: list[str] = []
        for index, assignment in enumerate(_config(config).assignments):
            where = f"assignments[{index}] ({assignment.name})"
            problems.extend(f"{where}: {problem}" for problem in _check(assignment))
        return problems

    async def run(self, step: Step) -> Result:
        """Compute each assignment over the run's variables, in order."""
        assigned: dict[str, Any] = {}
        scope = dict(step.scope)
        for assignment in _config(step.config).assignments:
            try:
                assigned[assignment.name] = _value(assignment, scope, step.now)
            except ExpressionError as exc:
                raise NodeError(f"{assignment.name}: {exc.detail}", "configuration") from exc
            scope["vars"] = {**(step.scope.get("vars") or {}), **assigned}
        return Result(output=assigned, variables=dict(assigned))


def _value(assignment: Assignment, scope: dict[str, Any], now: datetime) -> Any:
    if assignment.mode == "variable":
        return lookup(str(assignment.value), scope)
    if assignment.mode == "expression":
        return evaluate(str(assignment.value), scope, now=now)
    if assignment.mode == "template":
        return render_data(assignment.value, scope, now=now)
    return copy.deepcopy(assignment.value)  # the run's variables never share the definition's


def _check(assignment: Assignment) -> list[str]:
    value = assignment.value
    if assignment.mode == "static":
        return []
    if assignment.mode == "template":
        return check_data(value, SCOPE_NAMES)
    if not isinstance(value, str) or not value.strip():
        return [f"mode {assignment.mode!r} needs a non-empty string value"]
    if assignment.mode == "expression":
        problem = check(value, SCOPE_NAMES)
        return [problem] if problem else []
    if not _PATH.fullmatch(value.strip()):
        return [f"'{value[:60]}' is not a dotted path such as trigger.order.total"]
    if value.strip().split(".", 1)[0] not in SCOPE_NAMES:
        return [f"path '{value[:60]}' starts with none of {', '.join(sorted(SCOPE_NAMES))}"]
    return []


def _config(config: Any) -> SetConfig:
    if isinstance(config, SetConfig):
        return config
    return SetConfig.model_validate(config)
