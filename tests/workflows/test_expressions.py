"""Safe expressions and templates: values, functions, limits and hostile input."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from frontdesk.workflows.expressions import (
    MAX_EXPRESSION,
    ExpressionError,
    check,
    check_data,
    check_template,
    evaluate,
    lookup,
    render,
    render_data,
    render_value,
)
from frontdesk.workflows.nodes.base import NodeError


@pytest.fixture
def scope() -> dict[str, Any]:
    return {
        "input": {"note": None},
        "trigger": {
            "amount": 150,
            "name": "Ann",
            "tags": ["vip", "eu"],
            "order": {"items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1}]},
            "created": "2026-01-01T10:00:00Z",
        },
        "entity": {"type": "contact", "id": "c1"},
        "vars": {"tier": "gold"},
        "nodes": {"n1": {"matched": True}},
        "instance": {"id": "i1", "workflow_id": "w1", "version": 3},
    }


def fails(expression: str, scope: dict[str, Any], *words: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        evaluate(expression, scope)
    for word in words:
        assert word in caught.value.detail, caught.value.detail
    return caught.value


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('trigger.amount > 100 and vars.tier == "gold"', True),
        ("trigger.amount * 2 - 50", 250),
        ("trigger.amount / 4", 37.5),
        ("trigger.amount // 4 % 7", 2),
        ("2 ** 10", 1024),
        ("-trigger.amount", -150),
        ("not nodes.n1.matched", False),
        ("trigger.order.items[0].sku", "A1"),
        ("trigger.order.items[-1]['qty']", 1),
        ("trigger['name'][1:]", "nn"),
        ("trigger.tags[5]", None),
        ("trigger.missing", None),
        ("trigger.missing.deeper", None),
        ("input.note", None),
        ("entity.type == 'contact' or False", True),
        ('"vip" in trigger.tags', True),
        ('"x" not in trigger.tags', True),
        ('"nn" in trigger.name', True),
        ("true and not false", True),
        ("null", None),
        ("None is null", True),
        ("'big' if trigger.amount > 100 else 'small'", "big"),
        ("1 < trigger.amount <= 150", True),
        ("[1, 'a', null]", [1, "a", None]),
        ("(1, 2)", [1, 2]),
        ('{"k": vars.tier}', {"k": "gold"}),
        ("instance.version + 1", 4),
        ("'a' + 'b'", "ab"),
        ("[1] + [2]", [1, 2]),
        ("'ab' * 3", "ababab"),
    ],
)
def test_evaluates(expression: str, expected: Any, scope: dict[str, Any]) -> None:
    assert evaluate(expression, scope) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("len(trigger.tags)", 2),
        ("len(input.note)", 0),
        ("str(trigger.amount)", "150"),
        ("str(true)", "true"),
        ("str(trigger.tags)", '["vip","eu"]'),
        ("int('42')", 42),
        ("int(' 7.9 ')", 7),
        ("float('2.5')", 2.5),
        ("bool('false')", False),
        ("bool('yes')", True),
        ("bool(0)", False),
        ("round(2.567, 2)", 2.57),
        ("round(2.5)", 2),
        ("abs(-3)", 3),
        ("min(3, 1, 2)", 1),
        ("max([4, 9])", 9),
        ("sum([1, 2.5])", 3.5),
        ("lower('ABC')", "abc"),
        ("upper(trigger.name)", "ANN"),
        ("trim('  x ')", "x"),
        ("contains(trigger.tags, 'vip')", True),
        ("contains(trigger.name, 'nn')", True),
        ("contains(input.note, 'x')", False),
        ("starts_with(trigger.name, 'A')", True),
        ("ends_with(trigger.name, 'x')", False),
        ("join(trigger.tags, '|')", "vip|eu"),
        ("split('a,b,c', ',')", ["a", "b", "c"]),
        ("replace('a-b', '-', '+')", "a+b"),
        ("coalesce(input.note, trigger.missing, 'third')", "third"),
        ("default(input.note, 'n/a')", "n/a"),
        ("default(trigger.name, 'n/a')", "Ann"),
        ("json(trigger.order.items[0])", '{"sku":"A1","qty":2}'),
        ("days_between('2026-01-01', trigger.created)", 0),
        ("days_between('2026-01-01', '2026-03-01')", 59),
    ],
)
def test_functions(expression: str, expected: Any, scope: dict[str, Any]) -> None:
    assert evaluate(expression, scope) == expected


def test_now_and_today_read_the_given_clock(scope: dict[str, Any]) -> None:
    clock = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    assert evaluate("now()", scope, now=clock) == "2026-05-04T03:02:01+00:00"
    assert evaluate("today()", scope, now=clock) == "2026-05-04"
    real = datetime.fromisoformat(evaluate("now()", scope))
    assert abs((real - datetime.now(UTC)).total_seconds()) < 60


def test_lookup_walks_dotted_paths(scope: dict[str, Any]) -> None:
    assert lookup("trigger.order.items.0.sku", scope) == "A1"
    assert lookup("trigger.order.items.-1.qty", scope) == 1
    assert lookup("trigger.order.items.9.sku", scope) is None
    assert lookup("trigger.name.first", scope) is None
    assert lookup("nowhere.at.all", scope) is None
    assert lookup("trigger.tags", scope) == ["vip", "eu"]


# --- templates --------------------------------------------------------------------------------


def test_render_replaces_each_expression(scope: dict[str, Any]) -> None:
    text = "Hi {{ trigger.name }}, {{trigger.amount*2}} {{ input.note }}|{{ trigger.tags }}"
    assert render(text, scope) == 'Hi Ann, 300 |["vip","eu"]'
    assert render("no templates here", scope) == "no templates here"
    assert render("{{ true }}/{{ 1.5 }}", scope) == "true/1.5"


def test_render_value_keeps_the_raw_value_of_a_single_expression(scope: dict[str, Any]) -> None:
    assert render_value("{{ trigger.order }}", scope) == scope["trigger"]["order"]
    assert render_value("  {{ trigger.amount }} ", scope) == 150
    assert render_value("{{ input.note }}", scope) is None
    assert render_value("n={{ trigger.amount }}", scope) == "n=150"
    assert render_value("{{ 1 }}{{ 2 }}", scope) == "12"
    assert render_value("plain", scope) == "plain"


def test_render_data_renders_every_string_inside(scope: dict[str, Any]) -> None:
    data = {"a": ["{{ trigger.amount }}", "x{{ vars.tier }}", 3], "b": {"c": "{{ trigger.tags }}"}}
    assert render_data(data, scope) == {"a": [150, "xgold", 3], "b": {"c": ["vip", "eu"]}}
    assert render_data(None, scope) is None


def test_template_checks_find_every_problem() -> None:
    assert check_template("fine {{ trigger.x }} and {{ vars.y + 1 }}") == []
    problems = check_template("{{ x.__class__ }} {{ 1 + }} {{ }} {{ open")
    assert problems[0] == "unclosed '{{' in template"
    assert len(problems) == 4
    assert "private" in problems[1] and "syntax error" in problems[2] and "empty" in problems[3]
    assert check_data({"a": ["ok {{ vars.x }}", {"b": "{{ lambda: 1 }}"}], "c": 5}) == [
        "{{ lambda: 1 }}: lambda functions are not allowed"
    ]


def test_unclosed_template_fails_to_render(scope: dict[str, Any]) -> None:
    with pytest.raises(ExpressionError, match="unclosed"):
        render("Hello {{ trigger.name", scope)


# --- errors -----------------------------------------------------------------------------------


def test_unknown_variable_names_it(scope: dict[str, Any]) -> None:
    error = fails("customer.name == 'x'", scope, "unknown variable 'customer'")
    assert error.status == 422 and error.code == "bad_expression"
    assert error.extra["expression"] == "customer.name == 'x'"
    # a node failure that is never retried
    assert isinstance(error, NodeError) and error.error_class == "configuration"


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("1 / 0", ["division by zero"]),
        ("trigger.amount > 'a'", ["cannot evaluate", "'>'"]),
        ("trigger.name.upper", ["'.upper'", "string"]),
        ("trigger.tags.first", ["'.first'", "list"]),
        ("int('abc')", ["cannot convert 'abc'"]),
        ("sum(['a'])", ["numbers"]),
        ("split('abc', '')", ["separator"]),
        ("days_between('soon', '2026-01-01')", ["ISO-8601", "soon"]),
        ("round(1.5, 99)", ["digits"]),
        ("(-8) ** 0.5", ["no real result"]),
        ("trigger.tags['x']", ["indexed by a number"]),
        ("trigger.amount[0]", ["cannot be indexed"]),
    ],
)
def test_failures_are_clear(expression: str, words: list[str], scope: dict[str, Any]) -> None:
    fails(expression, scope, *words)


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("", ["empty"]),
        ("1 +", ["syntax error"]),
        ("import os", ["syntax error"]),
        ("len", ["must be called"]),
        ("shout('x')", ["unknown function 'shout'"]),
        ("len(x=1)", ["keyword"]),
        ("'x'.upper()", ["method calls", "upper(x)"]),
        ("trigger.name.lower()", ["method calls"]),
        ("1 << 3", ["'<<'"]),
        ("~1", ["'~'"]),
        ("{1, 2}", ["set literals"]),
        ("{**trigger}", ["'**'"]),
        ("[*trigger.tags]", ["'*' unpacking"]),
        ("(y := 1)", ["':='"]),
        ("b'x'", ["literal"]),
        ("1j", ["literal"]),
    ],
)
def test_refused_at_check_time(expression: str, words: list[str]) -> None:
    problem = check(expression)
    assert problem is not None
    for word in words:
        assert word in problem, problem
    with pytest.raises(ExpressionError):
        evaluate(expression, {})


def test_check_accepts_good_expressions() -> None:
    assert check('trigger.amount > 100 and vars.tier == "gold"') is None
    assert check("default(trigger.x, 'y')") is None


# --- hostile input -------------------------------------------------------------------------------

HOSTILE = [
    ('"".__class__.__mro__', "private"),
    ("x.__globals__", "private"),
    ("trigger.__class__", "private"),
    ("trigger._secret", "private"),
    ("(1).real", "literal"),
    ("__import__('os')", "private"),
    ("__builtins__", "private"),
    ("9**9**9", "limit"),
    ("4000000 ** 4000000", "digits"),
    ("10 ** 101", "digits"),
    ("'a' * 10**9", "100,000"),
    ("[1] * 10**9", "100,000"),
    ("[[1] * 99999] * 99999", "lists of lists"),
    ("'%999999999d' % 1", "'%'"),
    ("lambda: 1", "lambda"),
    ("(lambda x: x)(1)", "lambda"),
    ("[x for x in trigger.tags]", "comprehensions"),
    ("{k: 1 for k in 'ab'}", "comprehensions"),
    ("sum(x for x in [1])", "comprehensions"),
    ("f'{trigger}'", "f-strings"),
    ("f'{1:>999999999}'", "f-strings"),
    ("-" * 100 + "1", "nested too deeply"),
    ("(" * 300 + "1" + ")" * 300, "syntax error"),
    ("not " * 499 + "1", "nested too deeply"),
    ("1 + " * 1000 + "1", "too long"),
]


@pytest.mark.parametrize(("expression", "word"), HOSTILE)
def test_hostile_input_is_refused_quickly(
    expression: str, word: str, scope: dict[str, Any]
) -> None:
    started = time.perf_counter()
    scope = {**scope, "x": {"a": 1}}
    error = fails(expression, scope)
    assert word in error.detail, error.detail
    assert time.perf_counter() - started < 1.0


def test_growth_across_one_expression_is_bounded(scope: dict[str, Any]) -> None:
    long_list = "[1] * 99999"
    grow = " + ".join([long_list] * 2)
    fails(grow, scope, "'+' would build")
    many = "[" + ", ".join(["'ab' * 50000"] * 11) + "]"
    fails(many, scope, "builds too much")
    fails("join([1] * 99999, 'xx')", scope, "join()")
    fails("replace('a' * 1000, 'a', 'b' * 200)", scope, "replace()")
    fails("json(['x' * 9999] * 11)", scope, "JSON")


def test_very_long_expression_is_refused() -> None:
    problem = check("1" * (MAX_EXPRESSION + 1))
    assert problem is not None and "too long" in problem
    assert check("1" * MAX_EXPRESSION) is None


def test_values_reached_through_keys_are_only_data(scope: dict[str, Any]) -> None:
    # a payload may hold keys that look dangerous: they are just keys
    payload = {"trigger": {"__class__": "x", "format": {"a": 1}}}
    assert evaluate("trigger['__class__']", payload) == "x"
    assert evaluate("trigger.format.a", payload) == 1
    assert lookup("trigger.__class__", payload) == "x"


def test_parsed_once_then_cached(scope: dict[str, Any]) -> None:
    from frontdesk.workflows import expressions

    expression = "trigger.amount + 12345"
    before = expressions._compile.cache_info()
    for _ in range(5):
        evaluate(expression, scope)
    after = expressions._compile.cache_info()
    assert after.misses - before.misses == 1
    assert after.hits - before.hits >= 4


def test_pathological_templates_are_scanned_in_linear_time(scope: dict[str, Any]) -> None:
    started = time.perf_counter()
    assert check_template("{{" * 50_000) == ["unclosed '{{' in template"]
    assert render("}}" * 50_000, scope) == "}}" * 50_000
    assert render("{{ 1 }}" + "x{" * 50_000, scope).startswith("1x{")
    assert time.perf_counter() - started < 1.0


TOKENS = [
    "trigger",
    "vars",
    "nodes",
    "x",
    "tier",
    ".",
    ".",
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    ",",
    ":",
    "0",
    "1",
    "-1",
    "10",
    "2.5",
    "'a'",
    '"b"',
    "true",
    "null",
    "None",
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "==",
    "<",
    ">=",
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "else",
    "lambda",
    "for",
    "len",
    "join",
    "split",
    "json",
    "sum",
    "max",
    "round",
    "upper",
    "default",
    "__class__",
    "_x",
    "real",
    "=",
    ":=",
    "*",
    "**",
    "f'",
    "'",
    "\\",
    "\n",
    " ",
]


def test_random_token_soup_only_ever_raises_expression_errors(scope: dict[str, Any]) -> None:
    import random

    rng = random.Random(20261122)
    scope = {**scope, "x": {"a": [1, 2]}, "tier": "gold"}
    outcomes = {"value": 0, "refused": 0}
    started = time.perf_counter()
    for _ in range(3000):
        expression = " ".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 12)))
        problem = check(expression)
        try:
            evaluate(expression, scope)
        except ExpressionError:
            outcomes["refused"] += 1
        else:
            assert problem is None, expression
            outcomes["value"] += 1
    assert outcomes["value"] > 50 and outcomes["refused"] > 50
    assert time.perf_counter() - started < 10.0


def test_backslashes_in_literals_are_kept(scope: dict[str, Any]) -> None:
    # the parser's warning about unknown escapes must not turn into an error
    assert evaluate(r"'\d+' + '-'", scope) == "\\d+-"
    assert check(r"'\d'") is None


def test_checks_against_the_runs_variable_names() -> None:
    from frontdesk.workflows.expressions import SCOPE_NAMES

    assert check("len(trigger.items) + vars.count", SCOPE_NAMES) is None
    assert check("true and null is None", SCOPE_NAMES) is None
    problem = check("customer.name == 'x' or trigger.x", SCOPE_NAMES)
    assert problem is not None and problem.startswith("unknown variable 'customer' (known: entity,")
    assert check("customer.name", SCOPE_NAMES) is not None  # a plain path too
    assert check("customer.name") is None  # trigger filters see the payload's own keys
    assert check_template("Hi {{ contact.name }}", SCOPE_NAMES) == [
        "{{ contact.name }}: unknown variable 'contact' (known: entity, input, instance, nodes, "
        "trigger, vars)"
    ]
    assert len(check_data({"a": ["{{ who }}", "{{ vars.ok }}"]}, SCOPE_NAMES)) == 1
