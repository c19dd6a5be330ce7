"""Request and response bodies of the FAQ and the knowledge base."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

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


class DateRange(BaseModel):
    """An inclusive range of document dates."""

    model_config = ConfigDict(extra="forbid")

    start: datetime | None = None
    end: datetime | None = None


MetaValue = str | int | float | bool


class QueryFilters(BaseModel):
    """Restrict a search; every given filter must hold."""

    model_config = ConfigDict(extra="forbid")

    document_type: list[str] | None = Field(default=None, max_length=50)
    source: list[str] | None = Field(default=None, max_length=50)
    document_id: list[str] | None = Field(default=None, max_length=200)
    entity: str | None = Field(default=None, max_length=200)
    date_range: DateRange | None = None
    metadata: dict[str, MetaValue | list[MetaValue]] = Field(default_factory=dict, max_length=20)


class QueryRequest(BaseModel):
    """A knowledge search, shaped like the seed's ``/rag/query``."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=4096)
    namespace: str = Field(default="default", min_length=1, max_length=100)
    top_k: int = Field(default=5, ge=1, le=100)
    mode: Literal["hybrid", "vector", "keyword"] = "hybrid"
    filters: QueryFilters = Field(default_factory=QueryFilters)
    context: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="earlier turns of the conversation, oldest first (for entity tracking)",
    )
    track_entity: bool = Field(
        default=True, description="filter by the entity the conversation is about, when known"
    )
    min_score: float | None = Field(default=None, ge=0, le=1)


class QueryHit(BaseModel):
    """One retrieved chunk."""

    chunk_id: str
    document_id: str
    content: str
    score: float
    scores: dict[str, float]
    metadata: dict[str, Any]


class QueryResponse(BaseModel):
    """Results best first, the entity used as a filter, and the time taken."""

    results: list[QueryHit]
    entity: str | None
    latency_ms: float
