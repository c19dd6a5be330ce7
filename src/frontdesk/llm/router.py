"""Routing: a preference and a cheap complexity estimate give an ordered list of models."""

from __future__ import annotations

import re
from dataclasses import dataclass

from frontdesk.llm.errors import UnknownModel
from frontdesk.llm.schemas import TIERS, CompletionRequest, Preference, ProviderConfig

HARD_WORDS = re.compile(
    r"\b(explain|compare|why|analy[sz]e|step[- ]by[- ]step|reason|plan|summari[sz]e|draft|write)\b",
    re.IGNORECASE,
)
LONG_PROMPT_TOKENS = 1500


@dataclass(frozen=True, slots=True)
class Route:
    """One step of the fallback chain."""

    provider: ProviderConfig
    model: str


def complexity(request: CompletionRequest, prompt_tokens: int) -> str:
    """``low`` or ``high``: long prompts, schemas, many turns or analytical asks are high."""
    last = request.messages[-1].content
    if (
        prompt_tokens > LONG_PROMPT_TOKENS
        or request.json_schema is not None
        or len(request.messages) > 6
        or HARD_WORDS.search(last)
    ):
        return "high"
    return "low"


def tier(preference: Preference, level: str) -> Preference:
    """``balanced`` drops to ``cheap`` for simple requests; the other preferences stand."""
    if preference == "balanced" and level == "low":
        return "cheap"
    return preference


def plan(
    providers: list[ProviderConfig], request: CompletionRequest, chosen: Preference
) -> list[Route]:
    """The chain: each provider at most once, in the tenant's order."""
    if request.model is not None:
        routes = [Route(p, request.model) for p in providers if p.serves(request.model)]
        if not routes:
            raise UnknownModel(f"No configured provider serves the model {request.model!r}")
        return routes
    index = TIERS.index(chosen)
    routes = []
    for provider in providers:
        # A provider without a model for this tier uses its nearest cheaper one, then dearer.
        for name in (*reversed(TIERS[: index + 1]), *TIERS[index + 1 :]):
            if name in provider.models:
                routes.append(Route(provider, provider.models[name]))
                break
    return routes
