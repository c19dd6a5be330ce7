"""The typed view of a tenant's settings document."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from frontdesk.routing.hours import DAYS, parse_time
from frontdesk.tenants.cache import TenantInfo
from frontdesk.understanding.entities import PatternError, TenantPattern, compile_pattern

DEFAULT_FALLBACK = (
    "Thanks for your message! I couldn't find an answer right away, so a member of our team "
    "will get back to you shortly."
)

DEFAULT_NO_AGENT = (
    "All our agents are busy right now. We've noted your request and will get back to you as "
    "soon as someone is available."
)


class TenantPreferences(BaseModel):
    """What a tenant can tune about how the bot answers."""

    model_config = ConfigDict(extra="allow")

    fallback_text: str = Field(default=DEFAULT_FALLBACK, min_length=1, max_length=2000)
    no_agent_text: str = Field(
        default=DEFAULT_NO_AGENT,
        min_length=1,
        max_length=2000,
        description="told on hand-over when no agent is available (a callback is queued)",
    )
    faq_threshold: float = Field(default=68.0, ge=0, le=100)
    intent_threshold: float = Field(
        default=0.0, ge=0, le=1, description="predictions less confident than this are unsure"
    )
    intent_llm_fallback: bool = Field(
        default=True,
        description="ask the LLM (if configured) about messages the model is unsure of",
    )
    timezone: str = Field(default="UTC", max_length=64)
    language: str = Field(default="en", max_length=16)
    languages: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="other languages customers write in; detected when set or an LLM is configured",
    )
    region: str | None = Field(
        default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166 country for national phones"
    )
    entity_patterns: dict[str, str] = Field(
        default_factory=dict, max_length=50, description="entity name → RE2 pattern (order ids…)"
    )
    business_hours: dict[str, list[tuple[str, str]]] = Field(
        default_factory=dict,
        description='opening intervals by day, e.g. {"mon": [["09:00", "17:30"]]}; none: open',
    )
    escalation_sentiment: float = Field(
        default=-0.4, ge=-1, le=0, description="hand over when the recent mood averages below this"
    )
    escalation_failures: int = Field(
        default=2, ge=1, le=20, description="hand over after this many unanswered messages in a row"
    )
    persona_name: str = Field(
        default="the virtual assistant", min_length=1, max_length=100, description="the bot's name"
    )
    persona: str = Field(
        default="", max_length=2000, description="who the bot is, for LLM replies (company, role)"
    )
    tone: Literal["friendly", "formal", "playful"] = "friendly"
    context_ttl_hours: float = Field(
        default=24.0, gt=0, le=24 * 90, description="the bot forgets a conversation's state after"
    )

    @field_validator("entity_patterns")
    @classmethod
    def _patterns_compile(cls, value: dict[str, str]) -> dict[str, str]:
        for name, pattern in value.items():
            if not name.isidentifier() or len(name) > 50:
                raise ValueError(f"entity name {name!r} must be a short identifier")
            try:
                compile_pattern(pattern)
            except PatternError as exc:
                raise ValueError(f"{name}: {exc}") from exc
        return value

    @field_validator("business_hours")
    @classmethod
    def _hours_valid(
        cls, value: dict[str, list[tuple[str, str]]]
    ) -> dict[str, list[tuple[str, str]]]:
        for day, intervals in value.items():
            if day not in DAYS:
                raise ValueError(f"unknown day {day!r}: use {', '.join(DAYS)}")
            for start, end in intervals:
                try:
                    if parse_time(start) >= parse_time(end):
                        raise ValueError(f"{day}: {start}–{end} ends before it starts")
                except ValueError as exc:
                    raise ValueError(f"{day}: {exc}") from None
        return value

    def patterns(self) -> list[TenantPattern]:
        """The tenant's entity patterns."""
        return [TenantPattern(name, pattern) for name, pattern in self.entity_patterns.items()]


def tenant_preferences(tenant: TenantInfo) -> TenantPreferences:
    """Parse a tenant's settings, falling back to defaults for anything unset."""
    return TenantPreferences.model_validate(tenant.settings)
