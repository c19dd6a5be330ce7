"""Safe expressions and ``{{ expression }}`` templates over a run's variables.

Expressions are Python-like (``trigger.amount > 100 and vars.tier == "gold"``) and evaluated
by simpleeval over a parse tree that was checked once and cached: no real attribute access
(``a.b`` reads key ``b`` of a mapping, nothing else), no private names, no lambdas,
comprehensions or f-strings, only the whitelisted functions of :data:`FUNCTIONS`, and limits
on length, nesting, powers and the size of the strings and lists an expression builds.
"""

from __future__ import annotations

import ast
import json
import math
import operator
import re
import threading
import warnings
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from simpleeval import (  # type: ignore[import-untyped]
    MAX_POWER,
    MAX_STRING_LENGTH,
    InvalidExpression,
    SimpleEval,
)

from frontdesk.workflows.nodes.base import NodeError

MAX_EXPRESSION = 2000
"""Longest expression, in characters."""
MAX_DEPTH = 32
"""Deepest nesting of operations in one expression."""
MAX_TEXT = MAX_STRING_LENGTH
"""Longest string or list an expression may build (100,000)."""
MAX_RENDERED = 1_000_000
"""Longest rendered template, in characters."""
MAX_POWER_DIGITS = 100
"""``a ** b`` is refused when its result would have more digits than this."""
MAX_BUILT = 1_000_000
"""Most list items and characters one evaluation may build with ``+`` and ``*``."""
MAX_ROUND = 15
"""``round()`` takes at most this many digits, either way."""
MAX_DATA_DEPTH = 64
"""Deepest nesting of dicts and lists :func:`render_data` walks."""

SCOPE_NAMES = frozenset({"input", "trigger", "entity", "vars", "nodes", "instance"})
"""The variables a run's expressions see (trigger filters see the event's own keys instead)."""
UNCLOSED = "unclosed '{{' in template"
LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}
_PATH_PART = re.compile(r"-?\d+")


class ExpressionError(NodeError):
    """An expression or template that cannot be parsed, is not allowed, or fails.

    In a run it is a node failure of class ``configuration`` (never retried); through the API
    a problem+json 422 with code ``bad_expression``.
    """

    status, code, title = 422, "bad_expression", "Invalid expression"

    def __init__(self, detail: str, expression: str | None = None) -> None:
        super().__init__(detail, "configuration")
        if expression is not None:
            self.extra["expression"] = _short(expression, 200)


# --- conversions shared with rules and nodes -------------------------------------------------


def to_text(value: Any) -> str:
    """How a value reads in a template: ``None`` is empty, dicts and lists are compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list | tuple):
        return _dumps(value)
    return str(value)


def to_datetime(value: Any) -> datetime | None:
    """``value`` as an aware datetime (ISO-8601 strings, dates, datetimes), else ``None``.

    Naive values are taken as UTC; a bare date is its midnight.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and 8 <= len(value.strip()) <= 40:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _dumps(value: Any, limit: int = MAX_RENDERED) -> str:
    """Compact JSON of ``value``, refused past ``limit`` characters without building it all."""
    text = json_prefix(value, limit + 1)
    if len(text) > limit:
        raise ExpressionError(f"value is over {limit:,} characters as JSON")
    return text


def json_prefix(value: Any, limit: int) -> str:
    """The first ``limit`` characters or so of ``value`` as compact JSON (stops encoding there)."""
    chunks: list[str] = []
    size = 0
    try:
        for chunk in _ENCODER.iterencode(value):
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                break
    except (TypeError, ValueError, RecursionError) as exc:
        raise ExpressionError(f"value cannot be written as JSON: {_short(exc)}") from None
    return "".join(chunks)


def preview(value: Any, limit: int = 60) -> str:
    """``value`` as short text for messages and explanations (cheap on huge values)."""
    if isinstance(value, dict | list | tuple):
        try:
            text = json_prefix(value, limit + 1)
        except ExpressionError:
            text = f"<{_kind(value)}>"
    else:
        text = to_text(value)
    return _short(text, limit)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _short(value: Any, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(value: Any) -> str:
    """The JSON-ish name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "list"
    return type(value).__name__


def _bounded(value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_TEXT:
        raise ExpressionError(f"result is too long ({len(value):,} > {MAX_TEXT:,} items)")
    return value


# --- functions ---------------------------------------------------------------------------------


def _len(value: Any) -> int:
    return 0 if value is None else len(value)


def _int(value: Any) -> int:
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            return int(_float(text))
    if value is None:
        raise ExpressionError("cannot convert null to a number")
    return int(value)


def _float(value: Any) -> float:
    if value is None:
        raise ExpressionError("cannot convert null to a number")
    try:
        return float(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise ExpressionError(f"cannot convert '{_short(value)}' to a number") from None


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in {"", "false", "no", "off", "0", "null", "none"}
    return bool(value)


def _round(value: Any, digits: int = 0) -> float | int:
    if not isinstance(digits, int) or not -MAX_ROUND <= digits <= MAX_ROUND:
        raise ExpressionError(f"round() takes between {-MAX_ROUND} and {MAX_ROUND} digits")
    number = _float(value) if isinstance(value, str) else value
    return round(number, digits) if digits else round(number)


def _sum(items: Any) -> float | int:
    if not isinstance(items, list | tuple):
        raise ExpressionError(f"sum() takes a list of numbers, not a {_kind(items)}")
    if not all(isinstance(item, int | float) and not isinstance(item, bool) for item in items):
        raise ExpressionError("sum() takes a list of numbers")
    return sum(items)


def _lower(value: Any) -> str:
    return to_text(value).lower()


def _upper(value: Any) -> str:
    return to_text(value).upper()


def _trim(value: Any) -> str:
    return to_text(value).strip()


def _contains(haystack: Any, needle: Any) -> bool:
    if haystack is None:
        return False
    if isinstance(haystack, str):
        return to_text(needle) in haystack
    return bool(needle in haystack)


def _starts_with(value: Any, prefix: Any) -> bool:
    return value is not None and to_text(value).startswith(to_text(prefix))


def _ends_with(value: Any, suffix: Any) -> bool:
    return value is not None and to_text(value).endswith(to_text(suffix))


def _join(items: Any, separator: Any = ",") -> str:
    if items is None:
        return ""
    if not isinstance(items, list | tuple):
        raise ExpressionError(f"join() takes a list, not a {_kind(items)}")
    sep = to_text(separator)
    if sum(len(to_text(item)) for item in items) + len(sep) * len(items) > MAX_TEXT:
        raise ExpressionError(f"join() would build a string over {MAX_TEXT:,} characters")
    return sep.join(to_text(item) for item in items)


def _split(value: Any, separator: Any = ",") -> list[str]:
    if value is None:
        return []
    sep = to_text(separator)
    if not sep:
        raise ExpressionError("split() needs a non-empty separator")
    return _bounded(to_text(value).split(sep))  # type: ignore[no-any-return]


def _replace(value: Any, old: Any, new: Any) -> str:
    text, old_text, new_text = to_text(value), to_text(old), to_text(new)
    if not old_text:
        raise ExpressionError("replace() needs a non-empty text to replace")
    grown = text.count(old_text) * (len(new_text) - len(old_text))
    if len(text) + grown > MAX_TEXT:
        raise ExpressionError(f"replace() would build a string over {MAX_TEXT:,} characters")
    return text.replace(old_text, new_text)


def _coalesce(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def _default(value: Any, fallback: Any) -> Any:
    return fallback if value is None or value == "" else value


def _str(value: Any) -> str:
    return _bounded(to_text(value))  # type: ignore[no-any-return]


def _json(value: Any) -> str:
    return _dumps(value, MAX_TEXT)


def _days_between(start: Any, end: Any) -> int:
    first, second = to_datetime(start), to_datetime(end)
    if first is None or second is None:
        bad = start if first is None else end
        raise ExpressionError(f"days_between() needs ISO-8601 dates, not '{_short(bad)}'")
    return (second - first).days


def _power(base: Any, exponent: Any) -> Any:
    """``base ** exponent``, refused when the result would be huge."""
    if isinstance(base, int | float) and isinstance(exponent, int | float):
        if abs(exponent) > MAX_POWER:
            raise ExpressionError(f"exponent {_short(exponent)} is over the limit of {MAX_POWER:,}")
        magnitude = abs(base)
        if exponent > 0 and magnitude > 1 and exponent * math.log10(magnitude) > MAX_POWER_DIGITS:
            raise ExpressionError(
                f"{_short(base)} ** {_short(exponent)} would have over {MAX_POWER_DIGITS} digits"
            )
    result = base**exponent
    if isinstance(result, complex):
        raise ExpressionError(f"{_short(base)} ** {_short(exponent)} has no real result")
    return result


def _modulo(left: Any, right: Any) -> Any:
    if isinstance(left, str | bytes):
        raise ExpressionError("'%' formatting of strings is not allowed; use a template")
    return left % right


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": _len,
    "str": _str,
    "int": _int,
    "float": _float,
    "bool": _bool,
    "round": _round,
    "abs": abs,
    "min": min,
    "max": max,
    "sum": _sum,
    "lower": _lower,
    "upper": _upper,
    "trim": _trim,
    "contains": _contains,
    "starts_with": _starts_with,
    "ends_with": _ends_with,
    "join": _join,
    "split": _split,
    "replace": _replace,
    "coalesce": _coalesce,
    "default": _default,
    "json": _json,
    "days_between": _days_between,
    "now": lambda: None,  # replaced per evaluation by the evaluator's clock
    "today": lambda: None,
}
"""The functions an expression may call (``now`` and ``today`` read the evaluation's clock)."""

_BINARY: dict[type[ast.AST], Callable[..., Any]] = {
    ast.Add: operator.add,  # the evaluator counts what + and * build
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: _modulo,
    ast.Pow: _power,
}
_UNARY: dict[type[ast.AST], Callable[..., Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_COMPARE: dict[type[ast.AST], Callable[..., Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Gt: operator.gt,
    ast.Lt: operator.lt,
    ast.GtE: operator.ge,
    ast.LtE: operator.le,
    ast.In: lambda item, container: _member(item, container),
    ast.NotIn: lambda item, container: not _member(item, container),
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_SYMBOLS: dict[type[ast.AST], str] = {
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.MatMult: "@",
    ast.Invert: "~",
}
_REFUSED: dict[type[ast.AST], str] = {
    ast.Lambda: "lambda functions are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed; use a {{ template }} or str()",
    ast.NamedExpr: "assignments (':=') are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Set: "set literals are not allowed; use a list",
}


def _member(item: Any, container: Any) -> bool:
    if container is None:
        return False
    if isinstance(container, str):
        return to_text(item) in container
    return bool(item in container)


def _attribute(value: Any, name: str) -> Any:
    """``value.name``: a key of a mapping (``None`` when missing, or when ``value`` is null)."""
    if isinstance(value, Mapping):
        return value.get(name)
    if value is None:
        return None
    raise ExpressionError(f"'.{name}' reads a key of an object, not of a {_kind(value)}")


def _item(container: Any, key: Any) -> Any:
    """``container[key]``: a key of a mapping or an index / slice of a list or string."""
    if container is None:
        return None
    if isinstance(container, Mapping):
        if isinstance(key, dict | list):
            raise ExpressionError(f"an object's key cannot be a {_kind(key)}")
        return container.get(key)
    if isinstance(container, list | tuple | str):
        if isinstance(key, slice):
            return container[key]
        if isinstance(key, int) and not isinstance(key, bool):
            return container[key] if -len(container) <= key < len(container) else None
        raise ExpressionError(f"a {_kind(container)} is indexed by a number, not a {_kind(key)}")
    raise ExpressionError(f"a {_kind(container)} cannot be indexed")


# --- checking and caching parse trees ----------------------------------------------------------


class _Literals(ast.NodeTransformer):
    """Turns the names ``true``, ``false`` and ``null`` into constants."""

    def visit_Name(self, node: ast.Name) -> ast.AST:  # noqa: N802 - ast's visitor name
        if node.id in LITERALS:
            return ast.copy_location(ast.Constant(LITERALS[node.id]), node)
        return node


def _refuse_name(name: str, what: str) -> None:
    if name.startswith("_"):
        raise ExpressionError(
            f"{what} '{name}' is not allowed: names starting with '_' are private"
        )


def _validate(node: ast.AST, depth: int = 0) -> None:
    """Raise :class:`ExpressionError` for anything outside the safe subset."""
    if depth > MAX_DEPTH:
        raise ExpressionError(f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
    kind = type(node)
    if kind in _REFUSED:
        raise ExpressionError(_REFUSED[kind])
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str | int | float | bool | None):
            raise ExpressionError(f"literal {_short(repr(node.value))} is not allowed")
        return
    if isinstance(node, ast.Name):
        _refuse_name(node.id, "name")
        if node.id in FUNCTIONS:
            raise ExpressionError(f"function '{node.id}' must be called, as in {node.id}(…)")
        return
    if isinstance(node, ast.Attribute):
        _refuse_name(node.attr, "attribute")
        if isinstance(node.value, ast.Constant):
            raise ExpressionError(f"'.{node.attr}' cannot be read from a literal value")
        _validate(node.value, depth + 1)
        return
    if isinstance(node, ast.Call):
        _validate_call(node, depth)
        return
    if (isinstance(node, ast.BinOp) and type(node.op) not in _BINARY) or (
        isinstance(node, ast.UnaryOp) and type(node.op) not in _UNARY
    ):
        symbol = _SYMBOLS.get(type(node.op), type(node.op).__name__)
        raise ExpressionError(f"operator '{symbol}' is not allowed")
    if isinstance(node, ast.Dict) and any(key is None for key in node.keys):
        raise ExpressionError("'**' unpacking is not allowed")
    if not isinstance(node, _ALLOWED):
        raise ExpressionError(f"{kind.__name__} is not allowed in an expression")
    for child in ast.iter_child_nodes(node):
        _validate(child, depth + 1)


def _validate_call(node: ast.Call, depth: int) -> None:
    if isinstance(node.func, ast.Attribute):
        _refuse_name(node.func.attr, "method")
        raise ExpressionError(
            f"method calls ('.{node.func.attr}()') are not allowed; use the functions, "
            "e.g. upper(x)"
        )
    if not isinstance(node.func, ast.Name):
        _validate(node.func, depth + 1)
        raise ExpressionError("only named functions can be called")
    _refuse_name(node.func.id, "function")
    if node.func.id not in FUNCTIONS:
        raise ExpressionError(f"unknown function '{node.func.id}'")
    if node.keywords:
        raise ExpressionError(f"{node.func.id}() takes no keyword arguments")
    for arg in node.args:
        _validate(arg, depth + 1)


_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Load,
    ast.boolop,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
)


@lru_cache(maxsize=4096)
def _compile(expression: str) -> ast.AST | tuple[str, ...] | str:
    """The checked parse tree of ``expression``, or why it is refused (cached either way)."""
    text = expression.strip()
    if not text:
        return "empty expression"
    if len(expression) > MAX_EXPRESSION:
        size = len(expression)
        return f"expression is too long ({size:,} characters, at most {MAX_EXPRESSION:,})"
    try:
        with warnings.catch_warnings():  # '\d' in a literal is kept as is, whatever the filters
            warnings.simplefilter("ignore")
            tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        return f"syntax error{where}: {exc.msg}"
    except (ValueError, RecursionError, MemoryError):
        return "expression cannot be parsed (too complex or invalid characters)"
    try:
        _validate(tree)
    except ExpressionError as exc:
        return exc.detail
    except RecursionError:
        return "expression is nested too deeply"
    body: ast.AST = _Literals().visit(tree).body
    return _path(body) or body


def _path(node: ast.AST) -> tuple[str, ...] | None:
    """``a.b.c`` as ``("a", "b", "c")``: the common case, evaluated without the tree walk."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(reversed(parts))


def _parsed(expression: str) -> ast.AST | tuple[str, ...]:
    compiled = _compile(expression)
    if isinstance(compiled, str):
        raise ExpressionError(compiled, expression)
    return compiled


# --- evaluation ------------------------------------------------------------------------------


class _Evaluator(SimpleEval):  # type: ignore[misc]
    """simpleeval with key-only attribute access, scope names and a per-evaluation clock."""

    def __init__(self) -> None:
        functions = dict(FUNCTIONS, now=self._now, today=self._today)
        operators = {**_BINARY, **_UNARY, **_COMPARE, ast.Add: self._add, ast.Mult: self._multiply}
        super().__init__(operators=operators, functions=functions, names={})
        self.clock: datetime | None = None
        self.built = 0
        self.nodes = {
            ast.Name: self._eval_name,
            ast.Constant: self._eval_constant,
            ast.UnaryOp: self._eval_unaryop,
            ast.BinOp: self._eval_binop,
            ast.BoolOp: self._eval_boolop,
            ast.Compare: self._eval_compare,
            ast.IfExp: self._eval_ifexp,
            ast.Call: self._eval_call,
            ast.Subscript: self._eval_subscript,
            ast.Attribute: self._eval_attribute,
            ast.Slice: self._eval_slice,
            ast.List: self._eval_list,
            ast.Tuple: self._eval_list,
            ast.Dict: self._eval_dict,
        }

    def _eval(self, node: ast.AST) -> Any:
        # Trees are checked once at parse time, and values are plain data reached through
        # mapping keys only: simpleeval's per-node scan of every result is not needed.
        return self.nodes[type(node)](node)

    def _count(self, result: Any) -> Any:
        if isinstance(result, str | list):
            self.built += len(result)
            if len(result) > MAX_TEXT or self.built > MAX_BUILT:
                raise ExpressionError(
                    f"expression builds too much (over {MAX_TEXT:,} items in one string or list)"
                )
        return result

    def _add(self, left: Any, right: Any) -> Any:
        if isinstance(left, str | list) and isinstance(right, type(left)):
            if len(left) + len(right) > MAX_TEXT:
                raise ExpressionError(f"'+' would build over {MAX_TEXT:,} items")
            return self._count(operator.add(left, right))
        return left + right

    def _multiply(self, left: Any, right: Any) -> Any:
        sequence, times = (left, right) if isinstance(left, str | list) else (right, left)
        if not isinstance(sequence, str | list):
            return left * right
        if not isinstance(times, int):
            raise ExpressionError(f"a {_kind(sequence)} is repeated a whole number of times")
        if isinstance(sequence, list) and any(isinstance(i, list | dict) for i in sequence):
            raise ExpressionError("lists of lists or objects cannot be repeated with '*'")
        if times * len(sequence) > MAX_TEXT:
            raise ExpressionError(f"'*' would build over {MAX_TEXT:,} items")
        return self._count(sequence * times)

    def _now(self) -> str:
        return (self.clock or datetime.now(UTC)).isoformat(timespec="seconds")

    def _today(self) -> str:
        return (self.clock or datetime.now(UTC)).date().isoformat()

    def _eval_name(self, node: ast.Name) -> Any:
        try:
            return self.names[node.id]
        except KeyError:
            raise ExpressionError(f"unknown variable '{node.id}'") from None

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        return _attribute(self._eval(node.value), node.attr)

    def _eval_subscript(self, node: ast.Subscript) -> Any:
        return _item(self._eval(node.value), self._eval(node.slice))

    def _eval_call(self, node: ast.Call) -> Any:
        function = self.functions[node.func.id]  # type: ignore[attr-defined] # a Name: checked
        return function(*[self._eval(arg) for arg in node.args])

    def _eval_list(self, node: ast.List | ast.Tuple) -> list[Any]:
        return [self._eval(item) for item in node.elts]

    def _eval_dict(self, node: ast.Dict) -> dict[Any, Any]:
        return {
            self._eval(key): self._eval(value)
            for key, value in zip(node.keys, node.values, strict=True)
            if key is not None  # '**' unpacking is refused at parse time
        }


_local = threading.local()


def _evaluator() -> _Evaluator:
    evaluator: _Evaluator | None = getattr(_local, "evaluator", None)
    if evaluator is None:
        evaluator = _local.evaluator = _Evaluator()
    return evaluator


def _walk(path: tuple[str, ...], scope: Mapping[str, Any]) -> Any:
    try:
        value = scope[path[0]]
    except KeyError:
        raise ExpressionError(f"unknown variable '{path[0]}'") from None
    for name in path[1:]:
        value = _attribute(value, name)
    return value


def evaluate(expression: str, scope: Mapping[str, Any], *, now: datetime | None = None) -> Any:
    """The value of ``expression`` over ``scope`` (``now`` fixes what ``now()`` returns).

    Raises :class:`ExpressionError` for a refused expression, an unknown variable, a limit or a
    failing operation (type mismatch, division by zero…).
    """
    compiled = _parsed(expression)
    try:
        if isinstance(compiled, tuple):
            return _walk(compiled, scope)
        return _run(compiled, scope, now)
    except ExpressionError as exc:
        if "expression" in exc.extra:
            raise
        raise ExpressionError(exc.detail, expression) from None
    except InvalidExpression as exc:
        raise ExpressionError(str(exc), expression) from None
    except ZeroDivisionError:
        raise ExpressionError("division by zero", expression) from None
    except (TypeError, ValueError, OverflowError, IndexError, KeyError) as exc:
        raise ExpressionError(f"cannot evaluate: {_short(exc, 200)}", expression) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression is too complex to evaluate", expression) from None


def _run(tree: ast.AST, scope: Mapping[str, Any], now: datetime | None) -> Any:
    evaluator = _evaluator()
    evaluator.names, evaluator.clock, evaluator.built = scope, now, 0
    try:
        return evaluator._eval(tree)
    finally:
        evaluator.names, evaluator.clock = {}, None


def check(expression: str, names: Collection[str] | None = None) -> str | None:
    """Why ``expression`` would be refused (syntax, forbidden construct, limit), else ``None``.

    With ``names`` (such as :data:`SCOPE_NAMES`), a variable that is none of them is a problem.
    """
    compiled = _compile(expression)
    if isinstance(compiled, str):
        return compiled
    if names is not None:
        unknown = sorted(_variables(expression) - set(names))
        if unknown:
            return f"unknown variable '{unknown[0]}' (known: {', '.join(sorted(names))})"
    return None


@lru_cache(maxsize=4096)
def _variables(expression: str) -> frozenset[str]:
    """The top-level names ``expression`` reads (function names aside)."""
    compiled = _compile(expression)
    if isinstance(compiled, str):
        return frozenset()
    if isinstance(compiled, tuple):
        return frozenset(compiled[:1])
    return frozenset(
        node.id
        for node in ast.walk(compiled)
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS
    )


def lookup(path: str, scope: Mapping[str, Any]) -> Any:
    """The value at a dotted path such as ``trigger.order.items.0.sku`` (``None`` if missing)."""
    value: Any = scope
    for part in path.strip().split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list | tuple) and _PATH_PART.fullmatch(part):
            index = int(part)
            value = value[index] if -len(value) <= index < len(value) else None
        else:
            return None
    return value


# --- templates -----------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _split_template(template: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """Texts and expressions, alternating (one more text), and whether a ``{{`` is unclosed."""
    texts: list[str] = []
    expressions: list[str] = []
    position = 0
    unclosed = False
    while (start := template.find("{{", position)) >= 0:  # str.find: linear on any input
        end = template.find("}}", start + 2)
        if end < 0:
            unclosed = True
            break
        texts.append(template[position:start])
        expressions.append(template[start + 2 : end].strip())
        position = end + 2
    texts.append(template[position:])
    return tuple(texts), tuple(expressions), unclosed


def _template(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    texts, expressions, unclosed = _split_template(template)
    if unclosed:
        raise ExpressionError(UNCLOSED, template)
    return texts, expressions


def check_template(template: str, names: Collection[str] | None = None) -> list[str]:
    """Every problem of ``template``: an unclosed ``{{``, an empty or refused expression.

    With ``names``, a variable that is none of them is a problem too.
    """
    _, expressions, unclosed = _split_template(template)
    problems = [
        f"{{{{ {_short(expression)} }}}}: {problem}"
        for expression in expressions
        if (problem := check(expression, names))
    ]
    return [UNCLOSED, *problems] if unclosed else problems


def check_data(data: Any, names: Collection[str] | None = None, _depth: int = 0) -> list[str]:
    """Every template problem of the strings inside ``data`` (as :func:`render_data` walks it)."""
    if _depth > MAX_DATA_DEPTH:
        return [f"data is nested deeper than {MAX_DATA_DEPTH} levels"]
    if isinstance(data, str):
        return check_template(data, names) if "{{" in data else []
    if isinstance(data, Mapping):
        items = list(data.values())
    elif isinstance(data, list | tuple):
        items = list(data)
    else:
        return []
    return [problem for item in items for problem in check_data(item, names, _depth + 1)]


def render(template: str, scope: Mapping[str, Any], *, now: datetime | None = None) -> str:
    """``template`` with each ``{{ expression }}`` replaced by its value as text.

    ``None`` renders as an empty string, dicts and lists as compact JSON.
    """
    if "{{" not in template:
        return template
    texts, expressions = _template(template)
    out = [texts[0]]
    size = len(texts[0])
    for expression, text in zip(expressions, texts[1:], strict=True):
        value = to_text(evaluate(expression, scope, now=now))
        size += len(value) + len(text)
        if size > MAX_RENDERED:
            raise ExpressionError(f"rendered text is over {MAX_RENDERED:,} characters", template)
        out += (value, text)
    return "".join(out)


def render_value(template: str, scope: Mapping[str, Any], *, now: datetime | None = None) -> Any:
    """The raw value when ``template`` is exactly one ``{{ expression }}``, else :func:`render`."""
    if "{{" not in template:
        return template
    texts, expressions = _template(template)
    if len(expressions) == 1 and not texts[0].strip() and not texts[1].strip():
        return evaluate(expressions[0], scope, now=now)
    return render(template, scope, now=now)


def render_data(
    data: Any, scope: Mapping[str, Any], *, now: datetime | None = None, _depth: int = 0
) -> Any:
    """``data`` with every string in it (dict values, list items) through :func:`render_value`."""
    if _depth > MAX_DATA_DEPTH:
        raise ExpressionError(f"data is nested deeper than {MAX_DATA_DEPTH} levels")
    if isinstance(data, str):
        return render_value(data, scope, now=now)
    if isinstance(data, Mapping):
        return {
            key: render_data(value, scope, now=now, _depth=_depth + 1)
            for key, value in data.items()
        }
    if isinstance(data, list | tuple):
        return [render_data(item, scope, now=now, _depth=_depth + 1) for item in data]
    return data
