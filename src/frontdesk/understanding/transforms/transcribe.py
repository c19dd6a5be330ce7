"""Transcription: audio to text through the tenant's OpenAI-compatible provider.

The tenant's LLM settings name the provider (the first ``openai`` one with a key, or a
``local`` server, which needs none); its key comes from where every LLM key comes from (the
vault, the tenant's stored key, the environment). The file goes as multipart to
``POST {base_url}/audio/transcriptions`` through the SSRF-guarded client, once: a failure is
recorded, not retried, so the conversation waiting for it moves on.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from frontdesk.core.http import UnsafeURL, safe_client
from frontdesk.llm.providers.local import LocalProvider
from frontdesk.llm.providers.registry import KEYLESS
from frontdesk.llm.schemas import ProviderConfig
from frontdesk.llm.service import TenantLLM
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.understanding.transforms.base import Outcome

BASE_URLS = {"openai": "https://api.openai.com/v1", "local": str(LocalProvider.default_base_url)}
"""The OpenAI-compatible provider kinds and their default base URLs."""
SUFFIXES = {
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "video/mp4": "m4a",
    "audio/mp4": "m4a",
    "audio/wav": "wav",
    "audio/webm": "webm",
}
"""File name extensions by type: the API reads the audio format from the name."""


@dataclass(frozen=True, slots=True)
class Audio:
    """One audio file to transcribe."""

    data: bytes
    filename: str | None = None
    mime_type: str | None = None

    @property
    def name(self) -> str:
        """A file name whose extension says the format."""
        if self.filename and "." in self.filename:
            return self.filename
        return f"audio.{SUFFIXES.get(self.mime_type or '', 'ogg')}"


def provider_for(config: TenantLLM) -> ProviderConfig | None:
    """The tenant's first provider that speaks OpenAI's audio API and has its key."""
    for provider in config.providers:
        if provider.kind in BASE_URLS and (provider.api_key or provider.kind in KEYLESS):
            return provider
    return None


async def transcribe(runtime: Runtime, tenant_id: str, audio: Audio) -> Outcome:
    """The words spoken in ``audio``, or why there are none."""
    limit = runtime.settings.transcribe_max_bytes
    if len(audio.data) > limit:
        detail = f"the file is {len(audio.data)} bytes, over the limit of {limit}"
        return Outcome.skipped("too_large", detail)
    provider = provider_for(await runtime.llm.tenant_config(tenant_id))
    if provider is None:
        return Outcome.not_configured(
            "not_configured", "no OpenAI-compatible LLM provider with an API key"
        )
    return await request(runtime.settings, provider, audio)


async def request(settings: Settings, provider: ProviderConfig, audio: Audio) -> Outcome:
    """One transcription request to ``provider``."""
    base = (provider.base_url or BASE_URLS[provider.kind]).rstrip("/")
    headers = {"Authorization": f"Bearer {provider.api_key}"} if provider.api_key else {}
    name = provider.name
    try:
        async with safe_client(settings, timeout=settings.transcribe_timeout_seconds) as client:
            response = await client.post(
                f"{base}/audio/transcriptions",
                headers=headers,
                files={"file": (audio.name, audio.data, audio.mime_type or "audio/ogg")},
                data={"model": settings.transcribe_model, "response_format": "json"},
            )
    except UnsafeURL as exc:
        return Outcome.failed("unsafe_url", f"{name}: {exc.detail}")
    except httpx.TimeoutException:
        return Outcome.failed(
            "timeout", f"{name}: no answer in {settings.transcribe_timeout_seconds:g} s"
        )
    except httpx.HTTPError as exc:
        return Outcome.failed("provider_error", f"{name}: {type(exc).__name__}")
    status = response.status_code
    if status in (401, 403):
        return Outcome.failed("unauthorized", f"{name}: HTTP {status}, check its API key")
    if status >= 400:
        return Outcome.failed("provider_error", f"{name}: HTTP {status}")
    try:
        text = response.json()["text"]
    except (ValueError, KeyError, TypeError):
        text = None
    if not isinstance(text, str):
        return Outcome.failed("provider_error", f"{name}: malformed response")
    return Outcome.done(text)
