"""Prompt templates: ``{{name}}`` placeholders filled in one pass, nothing else evaluated.

Only bare identifiers are allowed inside ``{{ }}`` (no attribute access, indexing, filters or
calls), and values are inserted verbatim in a single substitution, so a value that contains
``{{``, ``}}``, Jinja syntax or instructions is never expanded again: it stays text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from frontdesk.llm.errors import TemplateError

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*")
SCALARS = (str, int, float, bool)


def variables_of(template: str) -> set[str]:
    """The variable names a template uses (raises :class:`TemplateError` if one is invalid)."""
    names = set()
    for match in PLACEHOLDER.finditer(template):
        name = NAME.fullmatch(match.group(1))
        if name is None:
            raise TemplateError(f"Only {{{{name}}}} placeholders are allowed: {match.group(0)!r}")
        names.add(name.group(1))
    return names


def render(template: str, variables: Mapping[str, object]) -> str:
    """Fill ``template``'s placeholders with ``variables`` (scalars only, each inserted once)."""
    missing = variables_of(template) - set(variables)
    if missing:
        raise TemplateError(f"Missing template variables: {', '.join(sorted(missing))}")

    def fill(match: re.Match[str]) -> str:
        name = NAME.fullmatch(match.group(1))
        assert name is not None
        value = variables[name.group(1)]
        if not isinstance(value, SCALARS):
            raise TemplateError(f"Variable {name.group(1)!r} must be text or a number")
        return str(value)

    return PLACEHOLDER.sub(fill, template)


def with_tone(tone: str | None, system: str | None) -> str | None:
    """The tenant's tone guidelines, prepended to the system prompt."""
    if not tone:
        return system
    if not system:
        return tone
    return f"{tone}\n\n{system}"
