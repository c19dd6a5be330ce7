"""Request and response bodies of the understanding API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ExampleIn(BaseModel):
    """One example utterance of an intent."""

    intent: str = Field(min_length=1, max_length=100, pattern=r"^[\w.:-]+$")
    text: str = Field(min_length=1, max_length=1000)


class ExamplesIn(BaseModel):
    """Examples to add (duplicates are skipped)."""

    examples: list[ExampleIn] = Field(min_length=1, max_length=5000)


class ExamplePublic(BaseModel):
    """A stored example."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    intent: str
    text: str
    created_at: datetime


class Added(BaseModel):
    """How many examples were new."""

    added: int


class IntentModelPublic(BaseModel):
    """A trained (or training) classifier version and its evaluation report."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    status: str
    active: bool
    examples: int
    intents: int
    report: dict[str, Any]
    error: str | None
    created_at: datetime
    trained_at: datetime | None


class AnalyzeIn(BaseModel):
    """A text to analyse as if a customer had sent it."""

    text: str = Field(max_length=10_000)
