"""Typed LLM errors. None of them ever carries a provider key or a request body."""

from __future__ import annotations

from frontdesk.core.errors import FrontdeskError


class LLMError(FrontdeskError):
    """Root of the gateway's errors."""

    status, code, title = 502, "llm_error", "LLM error"


class ProviderError(LLMError):
    """A provider call failed; ``retryable`` says whether trying again may help."""

    status, code, title = 502, "llm_provider_error", "LLM provider failed"

    def __init__(
        self,
        detail: str,
        *,
        provider: str,
        retryable: bool,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail, provider=provider)
        self.provider = provider
        self.retryable = retryable
        self.status_code = status_code
        self.retry_after = retry_after


class ProviderTimeout(ProviderError):
    """The provider did not answer within the per-call timeout."""

    status, code, title = 504, "llm_timeout", "LLM provider timed out"

    def __init__(self, detail: str, *, provider: str) -> None:
        super().__init__(detail, provider=provider, retryable=True)


class AllProvidersFailed(LLMError):
    """Every provider of the chain failed or was skipped (breaker open)."""

    status, code, title = 503, "llm_unavailable", "No LLM provider available"


class BudgetExceeded(LLMError):
    """The tenant's monthly LLM budget is spent and its action is ``block``."""

    status, code, title = 402, "llm_budget_exceeded", "LLM budget exceeded"


class InvalidOutput(LLMError):
    """The model's answer is not valid JSON or does not match the schema, even after a repair."""

    status, code, title = 502, "llm_invalid_output", "LLM output invalid"


class UnknownModel(LLMError):
    """No configured provider serves the requested model."""

    status, code, title = 422, "llm_unknown_model", "Unknown model"


class TemplateError(LLMError):
    """A prompt template is malformed or misses a variable."""

    status, code, title = 422, "llm_template_error", "Template error"


class NotConfiguredError(LLMError):
    """Raised where a result cannot say "not configured" (e.g. inside a stream)."""

    status, code, title = 503, "llm_not_configured", "No LLM provider configured"
