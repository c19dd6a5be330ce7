"""Requests, results and API bodies of the LLM gateway."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

Preference = Literal["cheap", "balanced", "premium"]
TIERS: tuple[Preference, ...] = ("cheap", "balanced", "premium")
ProviderKind = Literal["openai", "azure", "anthropic", "gemini", "bedrock", "openrouter", "local"]
BudgetAction = Literal["block", "downgrade"]


class Message(BaseModel):
    """One turn of the conversation sent to the model."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(min_length=1, max_length=100_000)


class CompletionRequest(BaseModel):
    """What a caller asks the gateway for."""

    model_config = ConfigDict(extra="forbid")

    messages: list[Message] = Field(min_length=1, max_length=200)
    system: str | None = Field(default=None, max_length=50_000)
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=100_000)
    json_mode: bool = False
    json_schema: dict[str, Any] | None = None
    service: str = Field(default="api", min_length=1, max_length=64)
    preference: Preference = "balanced"
    model: str | None = Field(default=None, min_length=1, max_length=200)
    cache: bool = True
    knowledge_version: str | None = Field(default=None, max_length=100)

    @field_validator("messages")
    @classmethod
    def _ends_with_user(cls, messages: list[Message]) -> list[Message]:
        if messages[-1].role != "user":
            raise ValueError("the last message must come from the user")
        return messages

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is not None:
            from frontdesk.llm.output import check_schema

            error = check_schema(schema)
            if error is not None:
                raise ValueError(f"json_schema is not a valid JSON Schema: {error}")
        return schema

    @property
    def wants_json(self) -> bool:
        """True when the answer must be JSON (JSON mode or a schema)."""
        return self.json_mode or self.json_schema is not None


class Completion(BaseModel):
    """A generated answer with its accounting."""

    status: Literal["ok"] = "ok"
    text: str
    data: Any = None
    model: str
    provider: str
    tokens_in: int
    tokens_out: int
    cost_usd: str
    latency_ms: float
    cached: bool = False


class NotConfigured(BaseModel):
    """No provider is configured: callers fall back to extractive answers."""

    status: Literal["not_configured"] = "not_configured"
    detail: str = "No LLM provider is configured for this tenant"


CompletionResult = Completion | NotConfigured


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One provider a tenant can call, with its key resolved."""

    name: str
    kind: ProviderKind
    api_key: str | None
    base_url: str | None
    models: dict[str, str]
    extra_models: tuple[str, ...] = ()
    api_version: str | None = None

    def serves(self, model: str) -> bool:
        """True when ``model`` is one of this provider's models."""
        return model in self.models.values() or model in self.extra_models

    def __repr__(self) -> str:
        return f"ProviderConfig(name={self.name!r}, kind={self.kind!r}, api_key=***)"


class ProviderSettingsIn(BaseModel):
    """A provider in a tenant's LLM settings; the key is write-only.

    The key is either typed inline (``api_key``, stored encrypted) or taken from the
    credential vault (``credential_id``: one of the tenant's ``api_key`` credentials).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: ProviderKind
    api_key: SecretStr | None = None
    credential_id: str | None = Field(default=None, min_length=1, max_length=64)
    base_url: str | None = Field(default=None, max_length=500)
    api_version: str | None = Field(default=None, max_length=40)
    models: dict[Preference, str] = Field(default_factory=dict)
    extra_models: list[str] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _one_key_source(self) -> ProviderSettingsIn:
        if self.api_key is not None and self.credential_id is not None:
            raise ValueError("give either api_key or credential_id, not both")
        return self


class ProviderSettingsPublic(BaseModel):
    """A provider as shown back: whether a key is stored, never the key."""

    name: str
    kind: ProviderKind
    has_key: bool
    credential_id: str | None = Field(
        default=None, description="the vault credential holding the key, if the key is there"
    )
    base_url: str | None
    api_version: str | None
    models: dict[str, str]
    extra_models: list[str]


class LLMSettingsUpdate(BaseModel):
    """A change to a tenant's LLM settings (omitted fields stay)."""

    model_config = ConfigDict(extra="forbid")

    providers: list[ProviderSettingsIn] | None = Field(default=None, max_length=10)
    preference: Preference | None = None
    monthly_budget_usd: float | None = Field(default=None, ge=0)
    budget_action: BudgetAction | None = None
    max_tokens_cap: int | None = Field(default=None, ge=1, le=100_000)
    tone: str | None = Field(default=None, max_length=5000)

    @field_validator("providers")
    @classmethod
    def _unique_names(
        cls, value: list[ProviderSettingsIn] | None
    ) -> list[ProviderSettingsIn] | None:
        if value is not None and len({p.name for p in value}) != len(value):
            raise ValueError("provider names must be unique")
        return value


class LLMSettingsPublic(BaseModel):
    """A tenant's LLM settings as shown to admins."""

    providers: list[ProviderSettingsPublic]
    preference: Preference
    monthly_budget_usd: float | None
    budget_action: BudgetAction
    max_tokens_cap: int
    tone: str | None


class ProviderStatus(BaseModel):
    """Health of one provider for this tenant."""

    name: str
    kind: str
    ready: bool = Field(description="false when the provider has no API key")
    breaker: Literal["closed", "open", "half_open"]
    failures: int
    open_until: datetime | None
    last_error: str | None


class UsageRow(BaseModel):
    """One recorded call."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: datetime
    service: str
    provider: str
    model: str
    tokens_in: int
    tokens_out: int
    cost_usd: str
    latency_ms: float
    cache_hit: bool


class UsageGroup(BaseModel):
    """Usage totals of one service or one model."""

    key: str
    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: str


class UsageReport(BaseModel):
    """Totals, breakdowns and rows of the usage matching the filters."""

    period: str
    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: str
    cache_hits: int
    budget_usd: float | None
    by_service: list[UsageGroup]
    by_model: list[UsageGroup]
    rows: list[UsageRow]
