"""The LLM gateway: every AI feature calls :class:`LLMGateway` (see docs/llm.md).

Importing this package loads no vendor SDK; each provider's SDK is imported on first use.
"""

from frontdesk.llm.client import LLMGateway
from frontdesk.llm.errors import (
    AllProvidersFailed,
    BudgetExceeded,
    InvalidOutput,
    LLMError,
    NotConfiguredError,
    ProviderError,
    ProviderTimeout,
    TemplateError,
    UnknownModel,
)
from frontdesk.llm.schemas import (
    Completion,
    CompletionRequest,
    CompletionResult,
    Message,
    NotConfigured,
)
from frontdesk.llm.templates import render, with_tone

__all__ = [
    "AllProvidersFailed",
    "BudgetExceeded",
    "Completion",
    "CompletionRequest",
    "CompletionResult",
    "InvalidOutput",
    "LLMError",
    "LLMGateway",
    "Message",
    "NotConfigured",
    "NotConfiguredError",
    "ProviderError",
    "ProviderTimeout",
    "TemplateError",
    "UnknownModel",
    "render",
    "with_tone",
]
