"""Provider kinds by name, imported lazily so that ``import frontdesk.llm`` loads no SDK."""

from __future__ import annotations

import importlib
from typing import Any

from frontdesk.llm.providers.base import Provider
from frontdesk.llm.schemas import ProviderConfig
from frontdesk.settings import Settings

PROVIDERS: dict[str, str] = {
    "openai": "frontdesk.llm.providers.openai:OpenAIProvider",
    "azure": "frontdesk.llm.providers.azure:AzureProvider",
    "anthropic": "frontdesk.llm.providers.anthropic:AnthropicProvider",
    "gemini": "frontdesk.llm.providers.gemini:GeminiProvider",
    "bedrock": "frontdesk.llm.providers.bedrock:BedrockProvider",
    "openrouter": "frontdesk.llm.providers.openrouter:OpenRouterProvider",
    "local": "frontdesk.llm.providers.local:LocalProvider",
}

# Facts about each kind that routing and key lookup need without importing an SDK.
DEFAULT_MODELS: dict[str, dict[str, str]] = {
    "openai": {"cheap": "gpt-4o-mini", "balanced": "gpt-4.1-mini", "premium": "gpt-4.1"},
    "azure": {"cheap": "gpt-4o-mini", "balanced": "gpt-4.1-mini", "premium": "gpt-4.1"},
    "anthropic": {
        "cheap": "claude-haiku-4-5",
        "balanced": "claude-sonnet-4-6",
        "premium": "claude-opus-4-6",
    },
    "gemini": {
        "cheap": "gemini-2.0-flash-lite",
        "balanced": "gemini-2.5-flash",
        "premium": "gemini-2.5-pro",
    },
    "bedrock": {
        "cheap": "openai.gpt-oss-20b-1:0",
        "balanced": "openai.gpt-oss-120b-1:0",
        "premium": "openai.gpt-oss-120b-1:0",
    },
    "openrouter": {
        "cheap": "anthropic/claude-sonnet-4",
        "balanced": "anthropic/claude-sonnet-4",
        "premium": "anthropic/claude-sonnet-4",
    },
    "local": {"cheap": "llama3.2", "balanced": "llama3.2", "premium": "llama3.2"},
}
ENV_KEYS: dict[str, str] = {
    "openai": "OPENAI_API_KEY",
    "azure": "AZURE_OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "bedrock": "AWS_BEARER_TOKEN_BEDROCK",
    "openrouter": "OPENROUTER_API_KEY",
    "local": "FRONTDESK_LLM_LOCAL_API_KEY",
}
KEYLESS = frozenset({"local"})
PRICE_PROVIDER_IDS = {"gemini": "google", "bedrock": "aws"}


def build_provider(config: ProviderConfig, settings: Settings) -> Provider:
    """Instantiate the provider module of ``config.kind`` (importing its SDK now)."""
    module_name, _, class_name = PROVIDERS[config.kind].partition(":")
    cls: Any = getattr(importlib.import_module(module_name), class_name)
    provider: Provider = cls(config, settings)
    return provider
