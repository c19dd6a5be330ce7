"""OpenAI through the official SDK; also the base of every OpenAI-compatible provider."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from frontdesk.llm.errors import ProviderError
from frontdesk.llm.providers._httpx2 import safe_httpx2_client
from frontdesk.llm.providers.base import (
    ProviderCall,
    ProviderReply,
    StreamItem,
    StreamUsage,
    malformed,
    translate_sdk_error,
)
from frontdesk.llm.schemas import ProviderConfig
from frontdesk.settings import Settings

if TYPE_CHECKING:
    from openai import AsyncOpenAI


class OpenAIProvider:
    """Chat Completions through ``openai.AsyncOpenAI`` (SDK retries off: the gateway retries)."""

    kind = "openai"
    default_base_url: str | None = None

    def __init__(self, config: ProviderConfig, settings: Settings) -> None:
        self.name = config.name
        self._config = config
        self._settings = settings
        self._client = self._build_client()

    def _build_client(self) -> AsyncOpenAI:
        from openai import AsyncOpenAI

        return AsyncOpenAI(
            api_key=self._config.api_key or "unused",
            base_url=self._config.base_url or self.default_base_url,
            max_retries=0,
            timeout=self._settings.llm_timeout_seconds,
            http_client=safe_httpx2_client(self._settings),
        )

    def _params(self, call: ProviderCall) -> dict[str, Any]:
        messages: list[dict[str, str]] = []
        if call.system:
            messages.append({"role": "system", "content": call.system})
        messages.extend(call.messages)
        params: dict[str, Any] = {
            "model": call.model,
            "messages": messages,
            "max_tokens": call.max_tokens,
            "timeout": call.timeout,
        }
        if call.temperature is not None:
            params["temperature"] = call.temperature
        if call.json_schema is not None:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": call.json_schema},
            }
        elif call.json_mode:
            params["response_format"] = {"type": "json_object"}
        return params

    async def complete(self, call: ProviderCall) -> ProviderReply:
        """One chat completion."""
        try:
            response = await self._client.chat.completions.create(**self._params(call))
        except Exception as exc:
            raise self._translate(exc) from None
        try:
            text = response.choices[0].message.content or ""
            usage = response.usage
            return ProviderReply(
                text=text,
                model=response.model or call.model,
                tokens_in=usage.prompt_tokens if usage else None,
                tokens_out=usage.completion_tokens if usage else None,
            )
        except (AttributeError, IndexError, TypeError) as exc:
            raise self._malformed() from exc

    async def stream(self, call: ProviderCall) -> AsyncGenerator[StreamItem, None]:
        """Text deltas as they arrive, then the usage of the final chunk."""
        params = self._params(call)
        params["stream_options"] = {"include_usage": True}
        started = False
        try:
            stream = await self._client.chat.completions.create(stream=True, **params)
            async for chunk in stream:
                started = True
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
                if chunk.usage is not None:
                    yield StreamUsage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        except ProviderError:
            raise
        except Exception as exc:
            raise self._translate(exc) from None
        if not started:  # a body that was no event stream at all
            raise self._malformed()

    def _malformed(self) -> ProviderError:
        return malformed(self.name)

    def _translate(self, exc: Exception) -> ProviderError:
        import openai

        return translate_sdk_error(self.name, exc, openai)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.close()
