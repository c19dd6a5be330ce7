"""OpenRouter: an OpenAI-compatible router to many vendors' models."""

from __future__ import annotations

from frontdesk.llm.providers.openai import OpenAIProvider


class OpenRouterProvider(OpenAIProvider):
    """OpenRouter's Chat Completions; the default model is ``anthropic/claude-sonnet-4``."""

    kind = "openrouter"
    default_base_url = "https://openrouter.ai/api/v1"
