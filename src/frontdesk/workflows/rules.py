"""Nested rule groups (AND / OR / NOT) for conditions, with an explanation of every verdict.

A rule compares a field (a dotted path or a ``{{ expression }}`` template) with a value (which
may hold ``{{ }}`` references) through an operator. Values are coerced by the rule's
``value_type`` or sensibly (``"85"`` compares as a number with ``80``); a type mismatch never
raises, it is simply false and the explanation says why. Regular expressions run on RE2:
linear time whatever the pattern and the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

import re2
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from frontdesk.workflows.expressions import (
    ExpressionError,
    check_data,
    check_template,
    json_prefix,
    lookup,
    preview,
    render_data,
    to_datetime,
    to_text,
)

MAX_DEPTH = 10
"""Deepest nesting of groups (the top group is level 1)."""
MAX_RULES = 200
"""Most rules in one condition, all groups together."""
MAX_PATTERN = 500
"""Longest regular expression, in characters."""
TRACE_TEXT = 2000
"""Longest value (as JSON text) the trace keeps whole; longer ones are cut to a preview."""
ROOTS = ("vars", "trigger", "input")
"""Where a bare field name (``score``) is looked up, in order, when it is no scope name."""

ValueType = Literal["string", "number", "boolean", "date"]
Logical = Literal["AND", "OR", "NOT"]

OPERATORS = (
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
)
UNARY = frozenset({"is_empty", "is_not_empty"})
"""Operators that take no value."""
OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "string": (
        "equals",
        "not_equals",
        "contains",
        "not_contains",
        "starts_with",
        "ends_with",
        "in",
        "not_in",
        "matches",
        "is_empty",
        "is_not_empty",
    ),
    "number": (
        "equals",
        "not_equals",
        "greater",
        "greater_or_equal",
        "less",
        "less_or_equal",
        "between",
        "in",
        "not_in",
        "is_empty",
        "is_not_empty",
    ),
    "boolean": ("equals", "not_equals", "is_empty", "is_not_empty"),
    "date": (
        "equals",
        "not_equals",
        "greater",
        "greater_or_equal",
        "less",
        "less_or_equal",
        "between",
        "is_empty",
        "is_not_empty",
    ),
}
"""The operators that make sense for each ``value_type`` (what a rule builder offers)."""

_ALIASES = {
    "eq": "equals",
    "equal": "equals",
    "is": "equals",
    "==": "equals",
    "=": "equals",
    "ne": "not_equals",
    "not_equal": "not_equals",
    "does_not_equal": "not_equals",
    "is_not": "not_equals",
    "!=": "not_equals",
    "<>": "not_equals",
    "not_contain": "not_contains",
    "does_not_contain": "not_contains",
    "begins_with": "starts_with",
    "startswith": "starts_with",
    "endswith": "ends_with",
    "is_in": "in",
    "one_of": "in",
    "is_one_of": "in",
    "any_of": "in",
    "is_not_in": "not_in",
    "not_one_of": "not_in",
    "none_of": "not_in",
    "gt": "greater",
    ">": "greater",
    "greater_than": "greater",
    "is_greater_than": "greater",
    "after": "greater",
    "gte": "greater_or_equal",
    "ge": "greater_or_equal",
    ">=": "greater_or_equal",
    "greater_than_or_equal": "greater_or_equal",
    "greater_than_or_equals": "greater_or_equal",
    "greater_or_equals": "greater_or_equal",
    "greater_than_or_equal_to": "greater_or_equal",
    "at_least": "greater_or_equal",
    "lt": "less",
    "<": "less",
    "less_than": "less",
    "is_less_than": "less",
    "before": "less",
    "lte": "less_or_equal",
    "le": "less_or_equal",
    "<=": "less_or_equal",
    "less_than_or_equal": "less_or_equal",
    "less_than_or_equals": "less_or_equal",
    "less_or_equals": "less_or_equal",
    "less_than_or_equal_to": "less_or_equal",
    "at_most": "less_or_equal",
    "is_between": "between",
    "in_range": "between",
    "empty": "is_empty",
    "is_null": "is_empty",
    "not_empty": "is_not_empty",
    "is_not_null": "is_not_empty",
    "exists": "is_not_empty",
    "matches_regex": "matches",
    "matches_pattern": "matches",
    "match": "matches",
    "regex": "matches",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_PATH = re.compile(r"[^.\s{}]+(?:\.[^.\s{}]+)*")


class RuleError(ExpressionError):
    """A rule that cannot be evaluated (unknown operator, unusable pattern)."""

    status, code, title = 422, "bad_rule", "Invalid rule"


def normalize_operator(name: str) -> str:
    """The canonical name of an operator (``greaterThan`` → ``greater``); unknown names as given."""
    key = _CAMEL.sub(r"_\1", name.strip()).lower().replace(" ", "_").replace("-", "_")
    return _ALIASES.get(key, key)


class Rule(BaseModel):
    """One comparison: ``field`` ``operator`` ``value``."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)

    id: str | None = Field(default=None, max_length=64)
    field: str = Field(min_length=1, max_length=500)
    """A dotted path (``trigger.order.total``, or a bare ``score``) or a ``{{ }}`` template."""
    operator: str = Field(min_length=1, max_length=64)
    value: Any = None
    value_type: ValueType | None = Field(default=None, alias="valueType")
    ignore_case: bool = Field(default=False, alias="ignoreCase")

    @field_validator("operator")
    @classmethod
    def _canonical(cls, operator: str) -> str:
        return normalize_operator(operator)

    @field_validator("value_type", mode="before")
    @classmethod
    def _lower(cls, value_type: Any) -> Any:
        return value_type.strip().lower() if isinstance(value_type, str) else value_type


def _kind_of(condition: Any) -> str:
    if isinstance(condition, RuleGroup):
        return "group"
    if isinstance(condition, Mapping) and ("logical" in condition or "conditions" in condition):
        return "group"
    return "rule"


Condition = Annotated[
    Annotated[Rule, Tag("rule")] | Annotated["RuleGroup", Tag("group")],
    Discriminator(_kind_of),
]


class RuleGroup(BaseModel):
    """Conditions joined by ``AND`` (all), ``OR`` (any) or ``NOT`` (not all of them)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, max_length=64)
    logical: Logical = "AND"
    conditions: list[Condition] = Field(default_factory=list, max_length=MAX_RULES)

    @field_validator("logical", mode="before")
    @classmethod
    def _upper(cls, logical: Any) -> Any:
        return logical.strip().upper() if isinstance(logical, str) else logical

    @model_validator(mode="before")
    @classmethod
    def _limits(cls, data: Any) -> Any:
        # Measured on the raw input, before pydantic descends into it.
        depth, rules = _measure(data)
        if depth > MAX_DEPTH:
            raise ValueError(f"rule groups are nested deeper than {MAX_DEPTH} levels")
        if rules > MAX_RULES:
            raise ValueError(f"more than {MAX_RULES} rules in one condition")
        return data


RuleGroup.model_rebuild()


def _measure(data: Any) -> tuple[int, int]:
    """Nesting depth of the groups in ``data`` and its number of rules (stops past the limits)."""
    depth, rules = 0, 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        group, level = stack.pop()
        depth = max(depth, level)
        conditions = (
            group.conditions
            if isinstance(group, RuleGroup)
            else group.get("conditions")
            if isinstance(group, Mapping)
            else None
        )
        if depth > MAX_DEPTH or not isinstance(conditions, list):
            continue
        for item in conditions:
            if _kind_of(item) == "group" and isinstance(item, Mapping | RuleGroup):
                stack.append((item, level + 1))
            else:
                rules += 1
        if rules > MAX_RULES:
            break
    return depth, rules


@dataclass(slots=True)
class Verdict:
    """Whether a rule group matched, why in one line, and the per-rule trace."""

    matched: bool
    explanation: str
    trace: list[dict[str, Any]] = field(default_factory=list)


class _Mismatch(Exception):
    """Values that cannot be compared: the comparison is false, with this note."""


# --- coercion ------------------------------------------------------------------------------


def _number(value: Any) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            pass
    raise _Mismatch(f"{_show(value)} is not a number")


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Mismatch(f"{_show(value)} is not a boolean")


def _date(value: Any) -> datetime:
    parsed = to_datetime(value)
    if parsed is None:
        raise _Mismatch(f"{_show(value)} is not a date")
    return parsed


def _text(value: Any) -> str:
    if value is None or isinstance(value, Mapping | list | tuple):
        raise _Mismatch(f"{_show(value)} is not text")
    return to_text(value)


_COERCE: dict[str, Callable[[Any], Any]] = {
    "number": _number,
    "boolean": _boolean,
    "date": _date,
    "string": _text,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _auto_kind(left: Any, right: Any, ordering: bool) -> str | None:
    """The type two untyped values compare as (``None``: as they are)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return "boolean"
    if _is_number(left) or _is_number(right):
        return "number"
    if isinstance(left, datetime | date) or isinstance(right, datetime | date):
        return "date"
    if isinstance(left, str) and isinstance(right, str):
        if not ordering:
            return "string"
        for kind in ("number", "date"):
            try:
                _COERCE[kind](left), _COERCE[kind](right)
            except _Mismatch:
                continue
            return kind
        return "string"
    return None


def _pair(left: Any, right: Any, rule: Rule, ordering: bool) -> tuple[Any, Any]:
    """``left`` and ``right`` coerced to one comparable type, or :class:`_Mismatch`."""
    kind = rule.value_type or _auto_kind(left, right, ordering)
    if kind is None:
        if ordering:
            raise _Mismatch(f"{_show(left)} and {_show(right)} cannot be ordered")
        return left, right
    coerce = _COERCE[kind]
    first, second = coerce(left), coerce(right)
    if kind == "string" and rule.ignore_case:
        return first.casefold(), second.casefold()
    return first, second


# --- operators -----------------------------------------------------------------------------


def _equals(actual: Any, expected: Any, rule: Rule) -> bool:
    if actual is None or expected is None:
        return actual is expected
    left, right = _pair(actual, expected, rule, ordering=False)
    return bool(left == right)


def _order(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any, Rule], bool]:
    def compare(actual: Any, expected: Any, rule: Rule) -> bool:
        left, right = _pair(actual, expected, rule, ordering=True)
        try:
            return test(left, right)
        except TypeError:
            raise _Mismatch(f"{_show(actual)} and {_show(expected)} cannot be ordered") from None

    return compare


def _between(actual: Any, expected: Any, rule: Rule) -> bool:
    if not isinstance(expected, list | tuple) or len(expected) != 2:
        raise _Mismatch("between needs two values [low, high]")
    low, high = expected
    return _order(lambda a, b: a >= b)(actual, low, rule) and _order(lambda a, b: a <= b)(
        actual, high, rule
    )


def _options(expected: Any) -> list[Any]:
    if isinstance(expected, list | tuple):
        return list(expected)
    if isinstance(expected, str):
        return [part.strip() for part in expected.split(",")]
    return [expected]


def _in(actual: Any, expected: Any, rule: Rule) -> bool:
    options = _options(expected)
    values = actual if isinstance(actual, list | tuple) else [actual]
    return any(_quiet_equals(value, option, rule) for value in values for option in options)


def _quiet_equals(actual: Any, expected: Any, rule: Rule) -> bool:
    try:
        return _equals(actual, expected, rule)
    except _Mismatch:
        return False


def _fold(text: str, rule: Rule) -> str:
    return text.casefold() if rule.ignore_case else text


def _contains(actual: Any, expected: Any, rule: Rule) -> bool:
    if actual is None:
        raise _Mismatch("the field is empty")
    if isinstance(actual, list | tuple):
        return any(_quiet_equals(item, expected, rule) for item in actual)
    if isinstance(actual, Mapping):
        return expected in actual
    return _fold(_text(expected), rule) in _fold(_text(actual), rule)


def _starts_with(actual: Any, expected: Any, rule: Rule) -> bool:
    return _fold(_text(actual), rule).startswith(_fold(_text(expected), rule))


def _ends_with(actual: Any, expected: Any, rule: Rule) -> bool:
    return _fold(_text(actual), rule).endswith(_fold(_text(expected), rule))


def _is_empty(actual: Any, expected: Any, rule: Rule) -> bool:
    if actual is None:
        return True
    if isinstance(actual, str):
        return not actual.strip()
    if isinstance(actual, Mapping | list | tuple):
        return not actual
    return False


def _matches(actual: Any, expected: Any, rule: Rule) -> bool:
    try:
        pattern = regex(_text(expected), rule.ignore_case)
    except RuleError as exc:
        raise _Mismatch(exc.detail) from None
    return pattern.search(_text(actual)) is not None


def _negate(test: Callable[[Any, Any, Rule], bool]) -> Callable[[Any, Any, Rule], bool]:
    def negated(actual: Any, expected: Any, rule: Rule) -> bool:
        return not test(actual, expected, rule)

    return negated


_TESTS: dict[str, Callable[[Any, Any, Rule], bool]] = {
    "equals": _equals,
    "not_equals": _negate(_equals),
    "contains": _contains,
    "not_contains": _negate(_contains),
    "starts_with": _starts_with,
    "ends_with": _ends_with,
    "in": _in,
    "not_in": _negate(_in),
    "greater": _order(lambda a, b: a > b),
    "greater_or_equal": _order(lambda a, b: a >= b),
    "less": _order(lambda a, b: a < b),
    "less_or_equal": _order(lambda a, b: a <= b),
    "between": _between,
    "is_empty": _is_empty,
    "is_not_empty": _negate(_is_empty),
    "matches": _matches,
}
_NEGATED = frozenset({"not_equals", "not_contains", "not_in", "is_not_empty"})


@lru_cache(maxsize=1024)
def regex(pattern: str, ignore_case: bool = False) -> Any:
    """``pattern`` compiled once by RE2, or :class:`RuleError` (too long, unsupported syntax)."""
    if not pattern or len(pattern) > MAX_PATTERN:
        raise RuleError(f"a pattern has 1 to {MAX_PATTERN} characters")
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not ignore_case
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise RuleError(f"unsupported pattern {_show(pattern)}: {reason}") from None


# --- evaluation ------------------------------------------------------------------------------


def resolve_field(path: str, scope: Mapping[str, Any], *, now: datetime | None = None) -> Any:
    """A rule's field: a template's value, or the value at a dotted path.

    A path whose first name is no scope name (``score``) is looked up in ``vars``, then
    ``trigger``, then ``input``.
    """
    if "{{" in path:
        return render_data(path, scope, now=now)
    first = path.strip().split(".", 1)[0]
    if first in scope:
        return lookup(path, scope)
    for root in ROOTS:
        container = scope.get(root)
        if isinstance(container, Mapping) and first in container:
            return lookup(path, container)
    return None


@dataclass(slots=True)
class _Run:
    """One evaluation: the variables, the clock templates see, the trace being built."""

    scope: Mapping[str, Any]
    now: datetime | None
    trace: list[dict[str, Any]]


def evaluate(group: RuleGroup, scope: Mapping[str, Any], *, now: datetime | None = None) -> Verdict:
    """Whether ``scope`` satisfies ``group``, with the explanation and the trace.

    ``now`` is what ``now()`` gives in the rules' templates (the wall clock by default).
    Raises :class:`RuleError` for an unknown operator and
    :class:`~frontdesk.workflows.expressions.ExpressionError` for a template that fails.
    """
    run = _Run(scope, now, [])
    matched, explanation = _group(group, run, "")
    return Verdict(matched, explanation, run.trace)


def _group(group: RuleGroup, run: _Run, path: str) -> tuple[bool, str]:
    results: list[bool] = []
    parts: list[str] = []
    for index, condition in enumerate(group.conditions):
        where = f"{path}conditions[{index}]"
        if isinstance(condition, RuleGroup):
            matched, text = _group(condition, run, where + ".")
            text = f"({text})"
        else:
            matched, text = _rule(condition, run, where)
        results.append(matched)
        parts.append(text)
    if group.logical == "OR":
        outcome = any(results)
    else:
        outcome = all(results) if group.logical == "AND" else not all(results)
    run.trace.append(
        {
            "path": path.rstrip("."),
            "id": group.id,
            "logical": group.logical,
            "matched": outcome,
        }
    )
    parts.append(f"{group.logical} → {_show(outcome)}")
    return outcome, "; ".join(parts)


def _rule(rule: Rule, run: _Run, where: str) -> tuple[bool, str]:
    test = _TESTS.get(rule.operator)
    if test is None:
        raise RuleError(f"{where}: unknown operator '{rule.operator}'")
    actual = resolve_field(rule.field, run.scope, now=run.now)
    expected = None if rule.operator in UNARY else render_data(rule.value, run.scope, now=run.now)
    note = None
    try:
        matched = test(actual, expected, rule)
    except _Mismatch as mismatch:
        matched, note = rule.operator in _NEGATED, f"type mismatch: {mismatch}"
    label = _short(rule.field.strip(), 40)
    text = f"{label} ({_show(actual)}) {rule.operator}"
    if rule.operator not in UNARY:
        text += f" {_show(expected)}"
    text += f" → {_show(matched)}" + (f" ({note})" if note else "")
    run.trace.append(
        {
            "path": where,
            "id": rule.id,
            "field": rule.field,
            "operator": rule.operator,
            "actual": _plain(actual),
            "expected": _plain(expected),
            "matched": matched,
            "note": note,
        }
    )
    return matched, text


# --- validation ------------------------------------------------------------------------------


def check(group: RuleGroup, names: Collection[str] | None = None) -> list[str]:
    """Every problem of ``group``: unknown operators, bad values, patterns or templates.

    With ``names`` (such as :data:`~frontdesk.workflows.expressions.SCOPE_NAMES`), templates
    reading any other variable are problems too.
    """
    problems: list[str] = []
    _check_group(group, "rules", names, problems)
    return problems


def _check_group(
    group: RuleGroup, where: str, names: Collection[str] | None, problems: list[str]
) -> None:
    if not group.conditions:
        problems.append(f"{where}: the {group.logical} group has no conditions")
    for index, condition in enumerate(group.conditions):
        label = f"{where}.conditions[{index}]"
        if condition.id:
            label += f" ({condition.id})"
        if isinstance(condition, RuleGroup):
            _check_group(condition, label, names, problems)
        else:
            problems.extend(f"{label}: {problem}" for problem in _check_rule(condition, names))


def _check_rule(rule: Rule, names: Collection[str] | None) -> list[str]:
    problems = _check_field(rule.field, names)
    if rule.operator not in _TESTS:
        return [*problems, f"unknown operator '{rule.operator}'"]
    if rule.operator in UNARY:
        return problems
    if rule.value is None or rule.value == "":
        return [*problems, f"operator '{rule.operator}' needs a value"]
    problems += [f"value: {problem}" for problem in check_data(rule.value, names)]
    if _has_template(rule.value):
        return problems
    if rule.operator == "between":
        if not isinstance(rule.value, list) or len(rule.value) != 2:
            return [*problems, "between needs a value of two items [low, high]"]
        return problems + [p for item in rule.value if (p := _check_type(item, rule))]
    if rule.operator == "matches":
        try:
            regex(to_text(rule.value), rule.ignore_case)
        except RuleError as exc:
            problems.append(exc.detail)
        return problems
    values = _options(rule.value) if rule.operator in {"in", "not_in"} else [rule.value]
    return problems + [p for item in values if (p := _check_type(item, rule))]


def _check_field(path: str, names: Collection[str] | None) -> list[str]:
    if "{{" in path or "}}" in path:
        return [f"field: {problem}" for problem in check_template(path, names)]
    if not _PATH.fullmatch(path.strip()):
        return [f"field {_show(path)} is not a dotted path such as trigger.order.total"]
    return []


def _check_type(value: Any, rule: Rule) -> str | None:
    if rule.value_type is None:
        return None
    try:
        _COERCE[rule.value_type](value)
    except _Mismatch as mismatch:
        return f"value {mismatch}"
    return None


def _has_template(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, list | tuple):
        return any(_has_template(item) for item in value)
    return False


# --- display ---------------------------------------------------------------------------------


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _show(value: Any, depth: int = 0) -> str:
    """A value as the explanation shows it: ``'Web'``, ``85``, ``true``, ``['a','b']``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + _short(value, 40) + "'"
    if isinstance(value, list | tuple):
        if depth > 2:
            return "[…]"
        shown = ",".join(_show(item, depth + 1) for item in value[:10])
        return f"[{shown}{',…' if len(value) > 10 else ''}]"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return preview(value, 60)


def _plain(value: Any) -> Any:
    """``value`` for the trace: JSON, at most about 2,000 characters of it."""
    if value is None or isinstance(value, int | float | bool):
        return value
    if isinstance(value, str):
        return _short(value, TRACE_TEXT)
    if isinstance(value, datetime | date):
        return value.isoformat()
    try:
        text = json_prefix(value, TRACE_TEXT + 1)
    except ExpressionError:
        return preview(value, 200)
    return json.loads(text) if len(text) <= TRACE_TEXT else preview(value, 200)
