"""Rule groups: operators, coercion, nesting, explanations, validation and limits."""

from __future__ import annotations

import time
from typing import Any

import pytest
from pydantic import ValidationError

from frontdesk.workflows.expressions import ExpressionError
from frontdesk.workflows.rules import (
    MAX_DEPTH,
    MAX_RULES,
    OPERATORS,
    Rule,
    RuleError,
    RuleGroup,
    check,
    evaluate,
    normalize_operator,
    resolve_field,
)

SCOPE: dict[str, Any] = {
    "trigger": {
        "score": 85,
        "source": "Web",
        "amount": "120.50",
        "email": "Ann@Example.com",
        "tags": ["vip", "eu"],
        "note": "  ",
        "empty": [],
        "created": "2026-03-10T12:00:00Z",
        "active": "yes",
        "order": {"items": [{"sku": "A1"}]},
    },
    "vars": {"tier": "gold", "limit": 100, "score": 10},
    "input": {"plan": "pro"},
    "nodes": {},
}


def rule(field: str, operator: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value, **extra}


def one(field: str, operator: str, value: Any = None, **extra: Any) -> bool:
    group = RuleGroup.model_validate({"conditions": [rule(field, operator, value, **extra)]})
    return evaluate(group, SCOPE).matched


def test_seed_shape_with_camel_case_operators_and_explanation() -> None:
    group = RuleGroup.model_validate(
        {
            "id": "1",
            "logical": "AND",
            "conditions": [
                {
                    "id": "1a",
                    "field": "score",
                    "operator": "greaterThan",
                    "value": 80,
                    "valueType": "number",
                },
                {
                    "id": "1b",
                    "logical": "OR",
                    "conditions": [
                        {"field": "source", "operator": "equals", "value": "Website"},
                        {"field": "source", "operator": "equals", "value": "Referral"},
                    ],
                },
            ],
        }
    )
    first = group.conditions[0]
    assert isinstance(first, Rule) and first.operator == "greater" and first.value_type == "number"
    assert isinstance(group.conditions[1], RuleGroup)
    verdict = evaluate(group, {"trigger": {"score": 85, "source": "Web"}})
    assert verdict.matched is False
    assert verdict.explanation == (
        "score (85) greater 80 → true; (source ('Web') equals 'Website' → false; "
        "source ('Web') equals 'Referral' → false; OR → false); AND → false"
    )
    assert [entry["path"] for entry in verdict.trace] == [
        "conditions[0]",
        "conditions[1].conditions[0]",
        "conditions[1].conditions[1]",
        "conditions[1]",
        "",
    ]
    assert verdict.trace[0] == {
        "path": "conditions[0]",
        "id": "1a",
        "field": "score",
        "operator": "greater",
        "actual": 85,
        "expected": 80,
        "matched": True,
        "note": None,
    }


def test_in_explanation_reads_like_the_brief() -> None:
    group = RuleGroup.model_validate(
        {
            "conditions": [
                rule("score", "greater", 80),
                rule("source", "in", ["Website", "Referral"]),
            ]
        }
    )
    verdict = evaluate(group, {"trigger": {"score": 85, "source": "Web"}})
    assert verdict.explanation == (
        "score (85) greater 80 → true; source ('Web') in ['Website','Referral'] → false; "
        "AND → false"
    )


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("greaterThan", "greater"),
        ("greaterThanOrEqual", "greater_or_equal"),
        ("lessThan", "less"),
        ("lessThanOrEqual", "less_or_equal"),
        ("notEquals", "not_equals"),
        ("startsWith", "starts_with"),
        ("endsWith", "ends_with"),
        ("notContains", "not_contains"),
        ("isEmpty", "is_empty"),
        ("isNotEmpty", "is_not_empty"),
        ("matchesRegex", "matches"),
        ("notIn", "not_in"),
        ("isBetween", "between"),
        (">=", "greater_or_equal"),
        ("!=", "not_equals"),
        ("not equals", "not_equals"),
        ("Equals", "equals"),
        ("whatever", "whatever"),
    ],
)
def test_operator_names_are_normalised(name: str, canonical: str) -> None:
    assert normalize_operator(name) == canonical


@pytest.mark.parametrize(
    ("field", "operator", "value", "extra", "expected"),
    [
        ("trigger.source", "equals", "Web", {}, True),
        ("trigger.source", "equals", "web", {}, False),
        ("trigger.source", "equals", "web", {"ignore_case": True}, True),
        ("trigger.source", "not_equals", "Web", {}, False),
        ("trigger.score", "equals", "85", {}, True),
        ("trigger.amount", "equals", 120.5, {}, True),
        ("trigger.active", "equals", True, {}, True),
        ("trigger.missing", "equals", None, {}, True),
        ("trigger.missing", "equals", "x", {}, False),
        ("trigger.email", "contains", "example", {}, False),
        ("trigger.email", "contains", "example", {"ignoreCase": True}, True),
        ("trigger.tags", "contains", "vip", {}, True),
        ("trigger.order", "contains", "items", {}, True),
        ("trigger.tags", "not_contains", "us", {}, True),
        ("trigger.email", "starts_with", "Ann", {}, True),
        ("trigger.email", "ends_with", ".COM", {"ignore_case": True}, True),
        ("trigger.source", "in", ["Web", "Referral"], {}, True),
        ("trigger.source", "in", "Web, Referral", {}, True),
        ("trigger.score", "in", [80, 85], {}, True),
        ("trigger.tags", "in", ["eu", "us"], {}, True),
        ("trigger.source", "not_in", ["Website"], {}, True),
        ("trigger.score", "greater", 80, {}, True),
        ("trigger.score", "greater_or_equal", 85, {}, True),
        ("trigger.score", "less", 85, {}, False),
        ("trigger.score", "less_or_equal", "85", {}, True),
        ("trigger.amount", "greater", 100, {}, True),
        ("trigger.amount", "greater", "99", {}, True),
        ("trigger.score", "between", [80, 85], {}, True),
        ("trigger.score", "between", [86, 90], {}, False),
        ("trigger.created", "greater", "2026-03-01", {}, True),
        ("trigger.created", "between", ["2026-03-01", "2026-03-31"], {"value_type": "date"}, True),
        ("trigger.created", "less", "2026-03-10", {"value_type": "date"}, False),
        ("trigger.active", "equals", "true", {"value_type": "boolean"}, True),
        ("trigger.score", "equals", "85.0", {"value_type": "number"}, True),
        ("trigger.score", "equals", "85", {"value_type": "string"}, True),
        ("trigger.note", "is_empty", None, {}, True),
        ("trigger.empty", "is_empty", None, {}, True),
        ("trigger.missing", "is_empty", None, {}, True),
        ("trigger.score", "is_empty", None, {}, False),
        ("trigger.tags", "is_not_empty", None, {}, True),
        ("trigger.email", "matches", r"^[a-z]+@example\.com$", {}, False),
        ("trigger.email", "matches", r"^[a-z]+@example\.com$", {"ignore_case": True}, True),
        ("trigger.score", "matches", r"^8\d$", {}, True),
        ("trigger.order.items.0.sku", "equals", "A1", {}, True),
    ],
)
def test_operators(
    field: str, operator: str, value: Any, extra: dict[str, Any], expected: bool
) -> None:
    assert one(field, operator, value, **extra) is expected


def test_every_operator_is_covered_above() -> None:
    assert set(OPERATORS) == {
        "equals",
        "not_equals",
        "contains",
        "not_contains",
        "starts_with",
        "ends_with",
        "in",
        "not_in",
        "greater",
        "greater_or_equal",
        "less",
        "less_or_equal",
        "between",
        "is_empty",
        "is_not_empty",
        "matches",
    }


@pytest.mark.parametrize(
    ("field", "operator", "value", "extra", "matched", "note"),
    [
        ("trigger.source", "greater", 5, {}, False, "'Web' is not a number"),
        ("trigger.missing", "less", 5, {}, False, "null is not a number"),
        ("trigger.tags", "greater", "a", {}, False, "cannot be ordered"),
        ("trigger.source", "equals", 5, {}, False, "'Web' is not a number"),
        ("trigger.source", "not_equals", 5, {}, True, "'Web' is not a number"),
        ("trigger.source", "equals", "x", {"value_type": "date"}, False, "is not a date"),
        ("trigger.missing", "starts_with", "a", {}, False, "null is not text"),
        ("trigger.missing", "contains", "a", {}, False, "the field is empty"),
        ("trigger.missing", "not_contains", "a", {}, True, "the field is empty"),
        ("trigger.order", "matches", "a", {}, False, "is not text"),
        ("trigger.score", "between", [1], {}, False, "two values"),
        ("trigger.score", "between", ["a", 100], {}, False, "'a' is not a number"),
    ],
)
def test_type_mismatch_is_false_and_explained(
    field: str, operator: str, value: Any, extra: dict[str, Any], matched: bool, note: str
) -> None:
    group = RuleGroup.model_validate({"conditions": [rule(field, operator, value, **extra)]})
    verdict = evaluate(group, SCOPE)
    assert verdict.matched is matched
    assert "type mismatch" in verdict.explanation and note in verdict.explanation
    assert note in verdict.trace[0]["note"]


def test_nested_and_or_not() -> None:
    group = RuleGroup.model_validate(
        {
            "logical": "or",
            "conditions": [
                {
                    "logical": "AND",
                    "conditions": [rule("score", "less", 50), rule("tier", "equals", "gold")],
                },
                {"logical": "NOT", "conditions": [rule("trigger.source", "equals", "Web")]},
                {
                    "logical": "AND",
                    "conditions": [
                        rule("trigger.score", "greater", 80),
                        {
                            "logical": "NOT",
                            "conditions": [rule("trigger.tags", "contains", "banned")],
                        },
                    ],
                },
            ],
        }
    )
    verdict = evaluate(group, SCOPE)
    assert verdict.matched is True
    assert verdict.explanation.endswith("OR → true")
    assert "(trigger.source ('Web') equals 'Web' → true; NOT → false)" in verdict.explanation


def test_empty_groups() -> None:
    assert evaluate(RuleGroup(logical="AND"), SCOPE).matched is True
    assert evaluate(RuleGroup(logical="OR"), SCOPE).matched is False
    assert check(RuleGroup(logical="AND")) == ["rules: the AND group has no conditions"]


def test_bare_field_names_look_in_vars_then_trigger_then_input() -> None:
    assert resolve_field("tier", SCOPE) == "gold"
    assert resolve_field("score", SCOPE) == 10  # vars wins over trigger
    assert resolve_field("source", SCOPE) == "Web"
    assert resolve_field("plan", SCOPE) == "pro"
    assert resolve_field("nowhere", SCOPE) is None
    assert resolve_field("trigger.score", SCOPE) == 85


def test_templates_in_field_and_value() -> None:
    assert one("{{ trigger.score * 2 }}", "greater", "{{ vars.limit }}")
    assert one("trigger.score", "between", ["{{ vars.limit - 20 }}", "{{ vars.limit }}"])
    assert one("trigger.source", "in", "{{ ['Web', 'Mail'] }}")
    assert one("{{ upper(trigger.source) }}", "equals", "WEB")
    assert one("trigger.source", "equals", "{{ upper('w') }}eb")


def test_template_failure_raises_a_configuration_error() -> None:
    group = RuleGroup.model_validate(
        {"conditions": [rule("trigger.score", "greater", "{{ nope }}")]}
    )
    with pytest.raises(ExpressionError, match="unknown variable 'nope'"):
        evaluate(group, SCOPE)


def test_unknown_operator_is_refused_at_run() -> None:
    group = RuleGroup.model_validate({"conditions": [rule("a", "bogus", 1)]})
    with pytest.raises(RuleError, match="unknown operator 'bogus'") as caught:
        evaluate(group, SCOPE)
    assert caught.value.code == "bad_rule" and caught.value.error_class == "configuration"


def test_check_lists_every_problem() -> None:
    group = RuleGroup.model_validate(
        {
            "conditions": [
                rule("score", "greater", 80),
                {"id": "r2", **rule("a", "bogus", 1)},
                rule("a", "equals"),
                rule("a", "matches", r"(a)\1"),
                rule("a", "matches", "x" * 501),
                rule("a", "between", [1]),
                rule("a", "between", 5),
                rule("{{ x.__class__ }}", "is_empty"),
                rule("a", "equals", "{{ 1 + }}"),
                rule("n", "equals", "abc", value_type="number"),
                rule("d", "between", ["2026-01-01", "never"], value_type="date"),
                rule("t", "in", ["yes", "maybe"], value_type="boolean"),
                rule("a..b", "equals", 1),
                {"logical": "OR", "conditions": [rule("b", "matches", "(?=x)")]},
                {"logical": "NOT", "conditions": []},
            ]
        }
    )
    problems = check(group)
    expected = [
        "rules.conditions[1] (r2): unknown operator 'bogus'",
        "rules.conditions[2]: operator 'equals' needs a value",
        "rules.conditions[3]: unsupported pattern '(a)\\1': invalid escape sequence: \\1",
        "rules.conditions[4]: a pattern has 1 to 500 characters",
        "rules.conditions[5]: between needs a value of two items [low, high]",
        "rules.conditions[6]: between needs a value of two items [low, high]",
        "rules.conditions[7]: field: {{ x.__class__ }}: attribute '__class__' is not allowed: "
        "names starting with '_' are private",
        "rules.conditions[8]: value: {{ 1 + }}: syntax error: invalid syntax",
        "rules.conditions[9]: value 'abc' is not a number",
        "rules.conditions[10]: value 'never' is not a date",
        "rules.conditions[11]: value 'maybe' is not a boolean",
        "rules.conditions[12]: field 'a..b' is not a dotted path such as trigger.order.total",
        "rules.conditions[13].conditions[0]: unsupported pattern '(?=x)': "
        "invalid perl operator: (?=",
        "rules.conditions[14]: the NOT group has no conditions",
    ]
    assert problems == expected


def test_a_good_group_has_no_problems() -> None:
    group = RuleGroup.model_validate(
        {
            "conditions": [
                rule("score", "greater", 80),
                rule("email", "matches", r"@example\.com$"),
                rule("tags", "is_not_empty"),
                rule("x", "between", ["{{ vars.a }}", 9]),
            ]
        }
    )
    assert check(group) == []


def test_limits_on_depth_and_size() -> None:
    nested: dict[str, Any] = {"conditions": [rule("a", "equals", 1)]}
    for _ in range(MAX_DEPTH - 1):
        nested = {"logical": "OR", "conditions": [nested]}
    RuleGroup.model_validate(nested)
    with pytest.raises(ValidationError, match="nested deeper than 10"):
        RuleGroup.model_validate({"conditions": [nested]})
    RuleGroup.model_validate({"conditions": [rule("a", "equals", 1)] * MAX_RULES})
    with pytest.raises(ValidationError, match="more than 200 rules"):
        RuleGroup.model_validate({"conditions": [rule("a", "equals", 1)] * (MAX_RULES + 1)})
    spread = {"conditions": [{"conditions": [rule("a", "equals", 1)] * 50}] * 5}
    with pytest.raises(ValidationError, match="more than 200 rules"):
        RuleGroup.model_validate(spread)


def test_absurd_nesting_is_refused_without_recursing() -> None:
    deep: dict[str, Any] = {"conditions": []}
    cursor = deep
    for _ in range(50_000):
        child: dict[str, Any] = {"conditions": []}
        cursor["conditions"].append(child)
        cursor = child
    started = time.perf_counter()
    with pytest.raises(ValidationError, match="nested deeper"):
        RuleGroup.model_validate(deep)
    assert time.perf_counter() - started < 1.0


def test_unknown_keys_and_bad_logical_are_invalid() -> None:
    with pytest.raises(ValidationError):
        RuleGroup.model_validate({"conditions": [{"field": "a", "operator": "equals", "oops": 1}]})
    with pytest.raises(ValidationError):
        RuleGroup.model_validate({"logical": "XOR", "conditions": []})
    with pytest.raises(ValidationError):
        RuleGroup.model_validate({"conditions": [{"field": "", "operator": "equals"}]})


def test_regex_bomb_runs_in_linear_time() -> None:
    text = "a" * 100_000 + "!"
    started = time.perf_counter()
    verdict = evaluate(
        RuleGroup.model_validate({"conditions": [rule("trigger.text", "matches", "(a+)+$")]}),
        {"trigger": {"text": text}},
    )
    assert verdict.matched is False
    assert time.perf_counter() - started < 1.0


def test_pattern_from_a_template_that_is_invalid_is_a_mismatch() -> None:
    group = RuleGroup.model_validate(
        {"conditions": [rule("trigger.source", "matches", "{{ '(a)\\\\1' }}")]}
    )
    verdict = evaluate(group, SCOPE)
    assert verdict.matched is False and "unsupported pattern" in verdict.explanation


def test_trace_is_plain_json() -> None:
    import json

    group = RuleGroup.model_validate(
        {
            "conditions": [
                rule("{{ trigger.order }}", "is_not_empty"),
                rule("trigger.created", "greater", "2026-01-01", value_type="date"),
            ]
        }
    )
    verdict = evaluate(group, SCOPE)
    assert verdict.matched
    assert json.loads(json.dumps(verdict.trace))[0]["actual"] == {"items": [{"sku": "A1"}]}


def test_huge_and_deep_values_keep_explanations_short() -> None:
    deep: Any = "leaf"
    for _ in range(500):
        deep = [deep]
    payload = {"blob": {f"k{i}": "x" * 100 for i in range(20_000)}, "deep": deep}
    group = RuleGroup.model_validate(
        {"conditions": [rule("trigger.blob", "is_not_empty"), rule("trigger.deep", "is_not_empty")]}
    )
    started = time.perf_counter()
    verdict = evaluate(group, {"trigger": payload})
    assert verdict.matched
    assert len(verdict.explanation) < 300
    assert time.perf_counter() - started < 2.0
    blob = verdict.trace[0]["actual"]
    assert isinstance(blob, str) and len(blob) <= 200
    assert verdict.trace[1]["actual"] == deep


def test_trace_values_that_cannot_be_json_are_previews() -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 1, 2, tzinfo=UTC)
    group = RuleGroup.model_validate({"conditions": [rule("trigger.when", "is_not_empty")]})
    verdict = evaluate(group, {"trigger": {"when": {"at": when, "odd": {1, 2}}}})
    assert verdict.trace[0]["actual"] == {"at": "2026-01-02T00:00:00+00:00", "odd": [1, 2]}


def test_check_with_the_runs_variable_names() -> None:
    from frontdesk.workflows.expressions import SCOPE_NAMES

    group = RuleGroup.model_validate(
        {
            "conditions": [
                rule("{{ customer.score }}", "greater", 1),
                rule("trigger.score", "greater", "{{ limits.high }}"),
                rule("score", "greater", "{{ vars.limit }}"),
            ]
        }
    )
    problems = check(group, SCOPE_NAMES)
    assert [problem.split(": ")[0] for problem in problems] == [
        "rules.conditions[0]",
        "rules.conditions[1]",
    ]
    assert "unknown variable 'customer'" in problems[0]
    assert "value: {{ limits.high }}: unknown variable 'limits'" in problems[1]
    assert check(group) == []
