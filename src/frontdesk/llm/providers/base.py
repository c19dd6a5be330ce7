"""The provider contract: one call in, text (or text deltas) and reported usage out."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, Protocol

from frontdesk.core.http import UnsafeURL
from frontdesk.llm.errors import ProviderError, ProviderTimeout

JSON_INSTRUCTION = "Answer with one JSON object and nothing else."


@dataclass(frozen=True, slots=True)
class ProviderCall:
    """Everything a provider needs for one request."""

    model: str
    messages: list[dict[str, str]]
    system: str | None
    max_tokens: int
    temperature: float | None = None
    json_mode: bool = False
    json_schema: dict[str, Any] | None = None
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class ProviderReply:
    """A whole answer; token counts as the provider reported them (``None`` when it did not)."""

    text: str
    model: str
    tokens_in: int | None
    tokens_out: int | None


@dataclass(frozen=True, slots=True)
class StreamUsage:
    """The usage a stream reports at its end."""

    tokens_in: int | None
    tokens_out: int | None


StreamItem = str | StreamUsage


class Provider(Protocol):
    """One LLM vendor's wire format behind the gateway."""

    name: str
    kind: str

    async def complete(self, call: ProviderCall) -> ProviderReply:
        """Send ``call`` and return the whole answer; raise ``ProviderError`` on failure."""
        ...

    def stream(self, call: ProviderCall) -> AsyncGenerator[StreamItem, None]:
        """Yield text deltas in order, then (if reported) one :class:`StreamUsage`."""
        ...

    async def aclose(self) -> None:
        """Release the HTTP connections."""
        ...


def retry_after_seconds(headers: Any) -> float | None:
    """The ``Retry-After`` (or ``retry-after-ms``) of a response, in seconds, when numeric."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            return None
    return None


def is_retryable_status(status: int) -> bool:
    """429, 408, 409 and every 5xx may pass on a retry; other 4xx will not."""
    return status in (408, 409, 429) or status >= 500


def malformed(name: str) -> ProviderError:
    """The error for a provider answer that cannot be read."""
    return ProviderError(f"{name}: malformed response", provider=name, retryable=False)


def translate_sdk_error(name: str, exc: Exception, sdk: Any) -> ProviderError:
    """Map an official SDK's error (``openai`` or ``anthropic``: same class names) to ours.

    Only the status is kept: vendor bodies may echo keys. Anything unknown is raised again.
    """
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderTimeout(f"{name}: timed out", provider=name)
    if isinstance(exc, sdk.APIConnectionError):
        return ProviderError(f"{name}: connection failed", provider=name, retryable=True)
    if isinstance(exc, sdk.APIStatusError):
        status = exc.status_code
        return ProviderError(
            f"{name}: HTTP {status}",
            provider=name,
            retryable=is_retryable_status(status),
            status_code=status,
            retry_after=retry_after_seconds(exc.response.headers),
        )
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, UnsafeURL):
        return ProviderError(f"{name}: address not allowed", provider=name, retryable=False)
    if isinstance(exc, sdk.APIError | ValueError | TypeError | KeyError | AttributeError):
        return malformed(name)  # an unreadable body (bad JSON, unexpected shape)
    raise exc
