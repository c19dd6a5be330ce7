"""Template rendering for node configurations: strings rendered, everything else walked."""

from __future__ import annotations

from typing import Any

from frontdesk.workflows.nodes.base import Step

VARIABLE_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"


def text(step: Step, template: str) -> str:
    """``template`` rendered over the run's variables (plain text is returned as is)."""
    return step.render(template) if "{{" in template else template


def tree(step: Step, value: Any) -> Any:
    """``value`` with every string in it rendered (dicts and lists walked, keys kept)."""
    if isinstance(value, str):
        return text(step, value)
    if isinstance(value, dict):
        return {key: tree(step, item) for key, item in value.items()}
    if isinstance(value, list):
        return [tree(step, item) for item in value]
    return value


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
