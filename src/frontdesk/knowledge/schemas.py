"""Request and response bodies of the FAQ and the knowledge base."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.knowledge.chunking import ChunkingConfig


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
    visibility: Literal["public", "internal"] = "public"


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
    visibility: Literal["public", "internal"] | None = None


class FaqPublic(FaqBase):
    """An FAQ entry as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
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


class FaqHitRate(BaseModel):
    """How often the FAQ answered customers' questions over a period."""

    days: int
    asked: int
    answered: int
    hit_rate: float


class UnansweredQuestion(BaseModel):
    """A question the FAQ could not answer, with how often it was asked."""

    text: str
    count: int
    best_score: float
    last_asked: datetime


class FaqImportResult(BaseModel):
    """What a bulk import did."""

    created: int
    updated: int


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


class NamespaceCreate(BaseModel):
    """A new knowledge namespace."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = Field(default="", max_length=2000)
    chunking: ChunkingConfig = Field(default_factory=ChunkingConfig)


class NamespaceUpdate(BaseModel):
    """A change to a namespace (chunking applies to documents ingested later)."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=2000)
    chunking: ChunkingConfig | None = None


class NamespacePublic(BaseModel):
    """A namespace as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    description: str
    chunking: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


class DocumentCreate(BaseModel):
    """A document given as text in the request (plain text, Markdown or HTML)."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=2000, description="unique key; same key replaces")
    text: str = Field(min_length=1, max_length=1_000_000)
    format: Literal["txt", "md", "html"] = "txt"
    title: str = Field(default="", max_length=500)
    url: str | None = Field(default=None, max_length=2000)
    entity: str | None = Field(default=None, max_length=200)
    date: datetime | None = None
    metadata: dict[str, str | int | float | bool] = Field(default_factory=dict, max_length=20)


class DocumentPublic(BaseModel):
    """A document as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    namespace_id: str
    source: str
    title: str
    doc_type: str
    url: str | None
    entity: str | None
    doc_date: datetime | None
    meta: dict[str, Any]
    chunk_count: int
    created_at: datetime
    updated_at: datetime


class ChunkPublic(BaseModel):
    """A chunk of a document."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    position: int
    text: str
    meta: dict[str, Any]


class IngestJobPublic(BaseModel):
    """An ingestion job: status, progress and per-source errors."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    namespace_id: str
    kind: str
    status: str
    total: int
    done: int
    failed: int
    chunks: int
    errors: list[dict[str, str]]
    document_ids: list[str]
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
