"""Conversation context (PRODUCT.md U5): what the bot remembers about a conversation.

The state rides on the conversation's row (``conversations.context``), which the pipeline loads
for every message anyway: reading it costs no query and saving it is part of the UPDATE that
records the message. It expires ``context_ttl_hours`` after the last message; an expired
context starts afresh (the history itself stays in the messages).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import fmean
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.core.clock import utcnow

SENTIMENT_WINDOW = 5
"""Scores kept for the conversation's sentiment trend."""
INTENT_WINDOW = 5
"""Intents kept, newest last."""
RECENT_WINDOW = 4
"""Customer texts kept (for "it" and "their": the knowledge search reads earlier turns)."""
RECENT_CHARS = 500


class Flow(BaseModel):
    """A multi-step exchange in progress (an assessment, a reminder being set up…).

    While a flow is active, the router sends the conversation's messages to its handler.
    """

    model_config = ConfigDict(extra="forbid")

    handler: str = Field(min_length=1, max_length=64)
    state: dict[str, Any] = Field(default_factory=dict)
    started_at: datetime = Field(default_factory=utcnow)


class ConversationContext(BaseModel):
    """The bot's memory of one conversation."""

    model_config = ConfigDict(extra="ignore")

    variables: dict[str, Any] = Field(default_factory=dict)
    slots: dict[str, Any] = Field(default_factory=dict)
    intents: list[str] = Field(default_factory=list)
    recent: list[str] = Field(
        default_factory=list, description="latest customer texts, oldest first"
    )
    sentiments: list[float] = Field(default_factory=list)
    entities: dict[str, Any] = Field(
        default_factory=dict,
        description="entities under discussion, by type (the order or product 'it' refers to)",
    )
    failures: int = 0
    flow: Flow | None = None
    summary: str | None = None
    summarized_count: int = 0
    messages: int = 0
    last_handler: str | None = None
    language: str | None = Field(
        default=None, description="the customer's language, as last detected with confidence"
    )

    @classmethod
    def load(
        cls, stored: dict[str, Any] | None, expires_at: datetime | None
    ) -> ConversationContext:
        """The stored context, or a fresh one when there is none or it expired."""
        if not stored or (expires_at is not None and expires_at <= utcnow()):
            return cls()
        return cls.model_validate(stored)

    def dump(self) -> dict[str, Any]:
        """The JSON form stored on the conversation."""
        return self.model_dump(mode="json", exclude_defaults=True)

    @property
    def last_intent(self) -> str | None:
        """The last in-scope intent of the conversation."""
        return self.intents[-1] if self.intents else None

    @property
    def sentiment_trend(self) -> float | None:
        """The mean of the recent sentiment scores (−1 … 1), or None before any."""
        return round(fmean(self.sentiments), 3) if self.sentiments else None

    def observe(self, text: str, analysis: dict[str, Any] | None) -> None:
        """Take in one customer message: its text, intent, sentiment and entities."""
        self.messages += 1
        if text.strip():
            self.recent = [*self.recent, text[:RECENT_CHARS]][-RECENT_WINDOW:]
        if not analysis:
            return
        if analysis.get("language") and not analysis.get("language_assumed"):
            self.language = str(analysis["language"])
        intent = analysis.get("intent") or {}
        if intent.get("name") and not intent.get("out_of_scope"):
            self.intents = [*self.intents, intent["name"]][-INTENT_WINDOW:]
        score = (analysis.get("sentiment") or {}).get("score")
        if isinstance(score, int | float):
            self.sentiments = [*self.sentiments, float(score)][-SENTIMENT_WINDOW:]
        for entity in analysis.get("entities") or []:
            if entity.get("type") and entity.get("value") is not None:
                self.entities[str(entity["type"])] = entity["value"]

    def start_flow(self, handler: str, state: dict[str, Any] | None = None) -> Flow:
        """Begin a multi-step exchange with ``handler``."""
        self.flow = Flow(handler=handler, state=state or {})
        return self.flow

    def end_flow(self) -> None:
        """End the active multi-step exchange, if any."""
        self.flow = None


def expiry(ttl_hours: float) -> datetime:
    """When a context saved now expires."""
    return utcnow() + timedelta(hours=ttl_hours)
