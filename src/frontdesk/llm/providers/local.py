"""A local OpenAI-compatible server: Ollama, vLLM, llama.cpp (free, usually keyless)."""

from __future__ import annotations

from frontdesk.llm.providers.openai import OpenAIProvider


class LocalProvider(OpenAIProvider):
    """Ollama's default address unless ``base_url`` says otherwise; costs are zero."""

    kind = "local"
    default_base_url = "http://127.0.0.1:11434/v1"
