"""FAQ request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class FaqBase(BaseModel):
    """Fields shared by FAQ create and read."""

    question: str = Field(min_length=1, max_length=1000)
    answer: str = Field(min_length=1, max_length=10_000)
    alternate_questions: list[str] = Field(default_factory=list, max_length=50)
    category: str | None = Field(default=None, max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=50)
    language: str = Field(default="en", max_length=16)
    priority: int = 0
    enabled: bool = True


class FaqCreate(FaqBase):
    """A new FAQ entry."""


class FaqUpdate(BaseModel):
    """A partial change to an FAQ entry."""

    question: str | None = Field(default=None, min_length=1, max_length=1000)
    answer: str | None = Field(default=None, min_length=1, max_length=10_000)
    alternate_questions: list[str] | None = Field(default=None, max_length=50)
    category: str | None = Field(default=None, max_length=100)
    tags: list[str] | None = Field(default=None, max_length=50)
    language: str | None = Field(default=None, max_length=16)
    priority: int | None = None
    enabled: bool | None = None


class FaqPublic(FaqBase):
    """An FAQ entry as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    hit_count: int
    created_at: datetime
    updated_at: datetime


class FaqMatchPublic(BaseModel):
    """The result of testing a question against the FAQ."""

    entry_id: str | None
    answer: str | None
    score: float
    matched: str | None
    above_threshold: bool
