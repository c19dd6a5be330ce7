"""JSON output checks: parse, then validate against the caller's JSON Schema."""

from __future__ import annotations

import json
from typing import Any

FENCE = "```"


def _strip_fence(text: str) -> str:
    """Models often wrap JSON in a Markdown code fence: take what is inside."""
    stripped = text.strip()
    if stripped.startswith(FENCE) and stripped.endswith(FENCE) and len(stripped) > 6:
        body = stripped[3:-3]
        return body.split("\n", 1)[1] if body.startswith("json") and "\n" in body else body
    return stripped


def validate_output(text: str, schema: dict[str, Any] | None) -> tuple[str | None, Any]:
    """``(None, data)`` when ``text`` is JSON matching ``schema``; else ``(error, None)``."""
    try:
        data = json.loads(_strip_fence(text))
    except ValueError as exc:
        return f"not JSON ({exc.msg} at position {exc.pos})" if isinstance(
            exc, json.JSONDecodeError
        ) else "not JSON", None
    if schema is None:
        return None, data
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(root)"
        return f"at {where}: {first.message}"[:500], None
    return None, data


def check_schema(schema: dict[str, Any]) -> str | None:
    """An error message when ``schema`` is not a valid JSON Schema, else ``None``."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return exc.message[:300]
    return None
