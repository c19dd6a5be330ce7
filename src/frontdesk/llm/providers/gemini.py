"""Google Gemini through its OpenAI-compatible endpoint (docs/llm.md says why not its SDK)."""

from __future__ import annotations

from frontdesk.llm.providers.openai import OpenAIProvider


class GeminiProvider(OpenAIProvider):
    """Gemini's ``/v1beta/openai`` Chat Completions endpoint with an API key."""

    kind = "gemini"
    default_base_url = "https://generativelanguage.googleapis.com/v1beta/openai/"
