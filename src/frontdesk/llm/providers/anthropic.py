"""Anthropic Messages API through the official SDK."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

from frontdesk.llm.errors import ProviderError
from frontdesk.llm.providers._httpx2 import safe_httpx2_client
from frontdesk.llm.providers.base import (
    JSON_INSTRUCTION,
    ProviderCall,
    ProviderReply,
    StreamItem,
    StreamUsage,
    malformed,
    translate_sdk_error,
)
from frontdesk.llm.schemas import ProviderConfig
from frontdesk.settings import Settings


class AnthropicProvider:
    """Claude through ``anthropic.AsyncAnthropic`` (SDK retries off: the gateway retries)."""

    kind = "anthropic"

    def __init__(self, config: ProviderConfig, settings: Settings) -> None:
        from anthropic import AsyncAnthropic

        self.name = config.name
        self._client = AsyncAnthropic(
            api_key=config.api_key or "unused",
            base_url=config.base_url,
            max_retries=0,
            timeout=settings.llm_timeout_seconds,
            http_client=safe_httpx2_client(settings),
        )

    def _params(self, call: ProviderCall) -> dict[str, Any]:
        system = call.system or ""
        if call.json_mode or call.json_schema is not None:
            # The Messages API has no JSON mode: ask for it; the gateway validates the answer.
            schema = (
                f"\nIt must match this JSON Schema: {json.dumps(call.json_schema)}"
                if call.json_schema is not None
                else ""
            )
            system = f"{system}\n\n{JSON_INSTRUCTION}{schema}".strip()
        params: dict[str, Any] = {
            "model": call.model,
            "messages": call.messages,
            "max_tokens": call.max_tokens,
            "timeout": call.timeout,
        }
        if system:
            params["system"] = system
        if call.temperature is not None:
            params["temperature"] = min(call.temperature, 1.0)
        return params

    async def complete(self, call: ProviderCall) -> ProviderReply:
        """One message."""
        try:
            response = await self._client.messages.create(**self._params(call))
        except Exception as exc:
            raise self._translate(exc) from None
        try:
            text = "".join(
                block.text for block in response.content if getattr(block, "type", "") == "text"
            )
            return ProviderReply(
                text=text,
                model=response.model or call.model,
                tokens_in=response.usage.input_tokens,
                tokens_out=response.usage.output_tokens,
            )
        except (AttributeError, TypeError) as exc:
            raise self._malformed() from exc

    async def stream(self, call: ProviderCall) -> AsyncGenerator[StreamItem, None]:
        """Text deltas as they arrive, then the usage of ``message_start`` + ``message_delta``."""
        tokens_in: int | None = None
        tokens_out: int | None = None
        started = False
        try:
            stream = await self._client.messages.create(stream=True, **self._params(call))
            async for event in stream:
                started = True
                if event.type == "message_start":
                    tokens_in = event.message.usage.input_tokens
                elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                    yield event.delta.text
                elif event.type == "message_delta":
                    tokens_out = event.usage.output_tokens
        except ProviderError:
            raise
        except Exception as exc:
            raise self._translate(exc) from None
        if not started:  # a body that was no event stream at all
            raise self._malformed()
        yield StreamUsage(tokens_in, tokens_out)

    def _malformed(self) -> ProviderError:
        return malformed(self.name)

    def _translate(self, exc: Exception) -> ProviderError:
        import anthropic

        return translate_sdk_error(self.name, exc, anthropic)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.close()
