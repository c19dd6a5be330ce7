"""Azure OpenAI through the official SDK's ``AsyncAzureOpenAI`` (models are deployment names)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from frontdesk.llm.providers._httpx2 import safe_httpx2_client
from frontdesk.llm.providers.openai import OpenAIProvider

if TYPE_CHECKING:
    from openai import AsyncOpenAI


class AzureProvider(OpenAIProvider):
    """Azure OpenAI: ``base_url`` is the resource endpoint, ``api_version`` is required."""

    kind = "azure"
    default_api_version = "2024-10-21"

    def _build_client(self) -> AsyncOpenAI:
        from openai import AsyncAzureOpenAI

        return AsyncAzureOpenAI(
            api_key=self._config.api_key or "unused",
            azure_endpoint=self._config.base_url or "https://example.openai.azure.com",
            api_version=self._config.api_version or self.default_api_version,
            max_retries=0,
            timeout=self._settings.llm_timeout_seconds,
            http_client=safe_httpx2_client(self._settings),
        )
