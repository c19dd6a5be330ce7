"""Templates in node configurations: rendering over the run's variables, and checking.

Plain strings (no ``{{``) are used as they are, without a trip through the expression engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontdesk.workflows.nodes.base import Step

VARIABLE_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"


def has_template(value: Any) -> bool:
    """True when a string inside ``value`` (dict values, list items) holds a ``{{``."""
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, Mapping):
        return any(has_template(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(has_template(item) for item in value)
    return False


def text(step: Step, template: str) -> str:
    """``template`` rendered as text over the run's variables."""
    return step.render(template) if "{{" in template else template


def texts(step: Step, value: Any) -> Any:
    """``value`` with every string in it rendered as text (unlike :func:`tree`, always text)."""
    if isinstance(value, str):
        return text(step, value)
    if isinstance(value, Mapping):
        return {key: texts(step, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [texts(step, item) for item in value]
    return value


def tree(step: Step, value: Any) -> Any:
    """``value`` with every string in it rendered (a lone ``{{ expr }}`` keeps its type)."""
    if not has_template(value):
        return value
    from frontdesk.workflows.expressions import render_data

    return render_data(value, step.scope)


def problems(field: str, value: Any) -> list[str]:
    """Every template problem in ``value``, each prefixed with ``field``."""
    if not has_template(value):
        return []
    from frontdesk.workflows.expressions import check_data

    return [f"{field}: {problem}" for problem in check_data(value)]


def template_problems(config: Any, *fields: str) -> list[str]:
    """The template problems of several fields of a node's config."""
    return [p for name in fields for p in problems(name, getattr(config, name))]


def dig(value: Any, path: str) -> Any:
    """The value at a dotted ``path`` (``body.items.0.id``), or ``None`` where it stops."""
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.lstrip("-").isdigit():
            index = int(part)
            value = value[index] if -len(value) <= index < len(value) else None
        else:
            return None
    return value
