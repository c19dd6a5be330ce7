"""The condition and set nodes, run through the node contract with a real scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from frontdesk.workflows.expressions import ExpressionError
from frontdesk.workflows.nodes.base import Effect, NodeError, Result, Step
from frontdesk.workflows.nodes.condition import ConditionConfig, ConditionNode
from frontdesk.workflows.nodes.set_vars import SetConfig, SetNode


class NoEffects:
    """Pure nodes must never reach for a side effect."""

    simulated = False

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a pure node used effects.{name}")


def scope() -> dict[str, Any]:
    return {
        "input": {"plan": "pro"},
        "trigger": {"score": 85, "source": "Web", "order": {"total": "120.5", "items": [1, 2]}},
        "entity": {"type": "contact", "id": "c1"},
        "vars": {"tier": "gold", "kept": 1},
        "nodes": {"check": {"matched": True}},
        "instance": {"id": "i1", "workflow_id": "w1", "version": 2},
    }


def step(config: Any, variables: dict[str, Any] | None = None) -> Step:
    return Step(
        node_id="n1",
        config=config,
        scope=variables or scope(),
        effects=NoEffects(),  # type: ignore[arg-type]
        key="i1:n1:1",
        tenant_id="t1",
        instance_id="i1",
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )


# --- condition ---------------------------------------------------------------------------------


async def test_condition_leaves_by_true_with_an_explanation() -> None:
    node = ConditionNode()
    assert node.type == "condition" and node.effect is Effect.PURE
    assert node.handles == ("true", "false")
    config = ConditionConfig.model_validate(
        {
            "label": "Hot lead?",
            "rules": {
                "logical": "AND",
                "conditions": [
                    {"field": "score", "operator": "greaterThan", "value": 80},
                    {"field": "trigger.source", "operator": "in", "value": ["Web", "Referral"]},
                ],
            },
        }
    )
    result = await node.run(step(config))
    assert isinstance(result, Result)
    assert result.handle == "true" and result.output == {"matched": True}
    assert result.explanation == (
        "score (85) greater 80 → true; trigger.source ('Web') in ['Web','Referral'] → true; "
        "AND → true"
    )
    assert result.variables is None


async def test_condition_leaves_by_false() -> None:
    config = ConditionConfig.model_validate(
        {"rules": {"conditions": [{"field": "vars.tier", "operator": "equals", "value": "silver"}]}}
    )
    result = await ConditionNode().run(step(config))
    assert result.handle == "false" and result.output == {"matched": False}
    assert result.explanation == "vars.tier ('gold') equals 'silver' → false; AND → false"


async def test_condition_accepts_the_bare_group_and_a_raw_dict() -> None:
    data = {
        "logical": "OR",
        "conditions": [{"field": "plan", "operator": "equals", "value": "pro"}],
    }
    config = ConditionConfig.model_validate({**data, "label": "Pro?"})
    assert config.label == "Pro?" and config.rules.logical == "OR"
    result = await ConditionNode().run(step(data))
    assert result.handle == "true"


async def test_condition_check_reports_rule_problems() -> None:
    config = ConditionConfig.model_validate(
        {
            "rules": {
                "conditions": [
                    {"field": "a", "operator": "bogus", "value": 1},
                    {"field": "b", "operator": "matches", "value": "(x)\\1"},
                ]
            }
        }
    )
    problems = ConditionNode().check(config)
    assert len(problems) == 2
    assert "unknown operator 'bogus'" in problems[0]
    assert "unsupported pattern" in problems[1]
    assert (
        ConditionNode().check(
            ConditionConfig.model_validate(
                {"rules": {"conditions": [{"field": "a", "operator": "is_empty"}]}}
            )
        )
        == []
    )


async def test_condition_failure_is_a_configuration_error() -> None:
    config = ConditionConfig.model_validate(
        {"rules": {"conditions": [{"field": "{{ missing.x }}", "operator": "is_empty"}]}}
    )
    with pytest.raises(NodeError) as caught:
        await ConditionNode().run(step(config))
    assert caught.value.error_class == "configuration"
    assert "unknown variable 'missing'" in caught.value.detail


def test_condition_config_is_strict() -> None:
    with pytest.raises(ValidationError):
        ConditionConfig.model_validate({"rules": {"conditions": []}, "oops": 1})
    with pytest.raises(ValidationError):
        ConditionConfig.model_validate({})


# --- set ---------------------------------------------------------------------------------------


async def test_set_assigns_in_every_mode() -> None:
    node = SetNode()
    assert node.type == "set" and node.effect is Effect.PURE
    config = SetConfig.model_validate(
        {
            "assignments": [
                {"name": "greeting", "mode": "static", "value": {"text": "hi", "n": [1, 2]}},
                {"name": "total", "mode": "variable", "value": "trigger.order.total"},
                {"name": "nothing", "mode": "variable", "value": "trigger.nope.deeper"},
                {"name": "doubled", "mode": "expression", "value": "float(vars.total) * 2"},
                {
                    "name": "label",
                    "mode": "template",
                    "value": "{{ upper(vars.tier) }}: {{ vars.doubled }}",
                },
                {"name": "raw", "mode": "template", "value": "{{ trigger.order.items }}"},
                {
                    "name": "payload",
                    "mode": "template",
                    "value": {"who": "{{ entity.id }}", "at": ["{{ instance.version }}"]},
                },
            ]
        }
    )
    result = await node.run(step(config))
    expected = {
        "greeting": {"text": "hi", "n": [1, 2]},
        "total": "120.5",
        "nothing": None,
        "doubled": 241.0,
        "label": "GOLD: 241.0",
        "raw": [1, 2],
        "payload": {"who": "c1", "at": [2]},
    }
    assert result.output == expected
    assert result.variables == expected
    assert result.handle == "default"


async def test_set_does_not_touch_the_runs_scope() -> None:
    variables = scope()
    config = SetConfig.model_validate(
        {"assignments": [{"name": "tier", "mode": "static", "value": "silver"}]}
    )
    result = await SetNode().run(step(config, variables))
    assert result.variables == {"tier": "silver"}
    assert variables["vars"] == {"tier": "gold", "kept": 1}


async def test_set_failure_names_the_assignment() -> None:
    config = SetConfig.model_validate(
        {"assignments": [{"name": "bad", "mode": "expression", "value": "trigger.score / 0"}]}
    )
    with pytest.raises(NodeError) as caught:
        await SetNode().run(step(config))
    assert caught.value.error_class == "configuration"
    assert caught.value.detail == "bad: division by zero"
    assert isinstance(caught.value.__cause__, ExpressionError)


def test_set_check_validates_names_expressions_and_templates() -> None:
    config = SetConfig.model_validate(
        {
            "assignments": [
                {"name": "ok", "mode": "expression", "value": "vars.a + 1"},
                {"name": "a", "mode": "expression", "value": "x.__class__"},
                {"name": "b", "mode": "template", "value": {"deep": ["{{ 1 + }}"]}},
                {"name": "c", "mode": "variable", "value": "trigger..x"},
                {"name": "d", "mode": "expression", "value": ""},
                {"name": "e", "mode": "static", "value": "{{ not checked }}"},
            ]
        }
    )
    problems = SetNode().check(config)
    assert problems == [
        "assignments[1] (a): attribute '__class__' is not allowed: names starting with '_' "
        "are private",
        "assignments[2] (b): {{ 1 + }}: syntax error: invalid syntax",
        "assignments[3] (c): 'trigger..x' is not a dotted path such as trigger.order.total",
        "assignments[4] (d): mode 'expression' needs a non-empty string value",
    ]


@pytest.mark.parametrize(
    "assignment",
    [
        {"name": "1abc", "value": 1},
        {"name": "with space", "value": 1},
        {"name": "x" * 65, "value": 1},
        {"name": "_private", "value": 1},
        {"name": "ok", "mode": "eval", "value": "1"},
        {"name": "ok", "value": 1, "extra": True},
    ],
)
def test_set_config_refuses_bad_assignments(assignment: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SetConfig.model_validate({"assignments": [assignment]})


def test_set_config_limits_assignments() -> None:
    many = [{"name": f"v{i}", "value": i} for i in range(100)]
    SetConfig.model_validate({"assignments": many})
    with pytest.raises(ValidationError):
        SetConfig.model_validate({"assignments": [*many, {"name": "one_more", "value": 0}]})


async def test_pure_nodes_read_the_steps_clock_not_the_wall() -> None:
    # a recomputed step (after a crash, in the simulator's virtual time) gives the same answer
    set_config = SetConfig.model_validate(
        {
            "assignments": [
                {"name": "day", "mode": "expression", "value": "today()"},
                {"name": "stamp", "mode": "template", "value": "at {{ now() }}"},
            ]
        }
    )
    result = await SetNode().run(step(set_config))
    assert result.output == {"day": "2026-01-01", "stamp": "at 2026-01-01T00:00:00+00:00"}
    condition_config = ConditionConfig.model_validate(
        {
            "rules": {
                "conditions": [
                    {"field": "{{ today() }}", "operator": "equals", "value": "2026-01-01"}
                ]
            }
        }
    )
    assert (await ConditionNode().run(step(condition_config))).handle == "true"


def test_checks_catch_variable_typos_before_any_run() -> None:
    set_config = SetConfig.model_validate(
        {
            "assignments": [
                {"name": "a", "mode": "expression", "value": "customer.tier"},
                {"name": "b", "mode": "template", "value": "Hi {{ contact.name }}"},
                {"name": "c", "mode": "variable", "value": "order.total"},
                {"name": "d", "mode": "variable", "value": "trigger.order.total"},
            ]
        }
    )
    problems = SetNode().check(set_config)
    assert len(problems) == 3
    assert "unknown variable 'customer'" in problems[0]
    assert "unknown variable 'contact'" in problems[1]
    assert problems[2].startswith("assignments[2] (c): path 'order.total' starts with none of")
    condition_config = ConditionConfig.model_validate(
        {
            "rules": {
                "conditions": [{"field": "{{ lead.score }}", "operator": "greater", "value": 1}]
            }
        }
    )
    assert "unknown variable 'lead'" in ConditionNode().check(condition_config)[0]


async def test_static_values_are_copies() -> None:
    config = SetConfig.model_validate(
        {"assignments": [{"name": "items", "mode": "static", "value": {"list": [1]}}]}
    )
    result = await SetNode().run(step(config))
    assert result.output is not None
    result.output["items"]["list"].append(2)
    assert config.assignments[0].value == {"list": [1]}
