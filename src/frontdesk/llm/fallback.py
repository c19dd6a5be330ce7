"""The policy chain: ordered fallback, retries with backoff and jitter, timeouts, breakers."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from frontdesk.core.logging import get_logger
from frontdesk.core.metrics import Metrics
from frontdesk.llm.breaker import BreakerBoard
from frontdesk.llm.errors import AllProvidersFailed, ProviderError, ProviderTimeout
from frontdesk.llm.providers.base import Provider, ProviderCall, ProviderReply
from frontdesk.llm.router import Route
from frontdesk.settings import Settings

log = get_logger("frontdesk.llm")
# Errors that say the request was wrong, not that the provider is unhealthy.
CALLER_FAULTS = frozenset({400, 413, 422})

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to wait before trying one provider again."""

    attempts: int
    base: float
    cap: float
    retry_after_cap: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy configured by ``FRONTDESK_LLM_*``."""
        return cls(
            settings.llm_max_attempts,
            settings.llm_backoff_base_seconds,
            settings.llm_backoff_max_seconds,
            settings.llm_retry_after_cap_seconds,
        )

    def delay(self, attempt: int, error: ProviderError) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``; ``None`` means fall back instead."""
        if not error.retryable or attempt + 1 >= self.attempts:
            return None
        jitter = random.uniform(0, min(self.cap, self.base * 2**attempt))  # noqa: S311
        if error.retry_after is None:
            return jitter
        if error.retry_after > self.retry_after_cap:
            return None  # the provider asks for longer than we wait: use the next one
        return max(error.retry_after, jitter)


@dataclass
class ChainResult:
    """The answer and the provider that gave it, with what was tried before."""

    route: Route
    reply: ProviderReply
    tried: list[str] = field(default_factory=list)


class PolicyChain:
    """Runs one call through the routes: each provider at most once per pass."""

    def __init__(
        self,
        breakers: BreakerBoard,
        policy: RetryPolicy,
        metrics: Metrics | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.breakers = breakers
        self.policy = policy
        self._metrics = metrics
        self._sleep = sleep

    async def run(
        self,
        tenant_id: str,
        routes: list[Route],
        call: ProviderCall,
        provider_for: Callable[[Route], Provider],
    ) -> ChainResult:
        """The first successful answer along ``routes``, or :class:`AllProvidersFailed`."""
        tried: list[str] = []
        last: ProviderError | None = None
        for route in routes:
            name = route.provider.name
            if not await self.breakers.allow(tenant_id, name):
                tried.append(f"{name}: circuit open")
                continue
            try:
                reply = await self._with_retries(provider_for(route), route, call)
            except ProviderError as exc:
                last = exc
                tried.append(exc.detail)
                self._count(name, "failure")
                if exc.status_code not in CALLER_FAULTS:
                    await self.breakers.failure(tenant_id, name, exc.detail)
                log.warning(
                    "llm_provider_failed", provider=name, model=route.model, error=exc.detail
                )
                continue
            await self.breakers.success(tenant_id, name)
            self._count(name, "success")
            return ChainResult(route, reply, tried)
        raise AllProvidersFailed(
            "Every LLM provider failed: " + "; ".join(tried) if tried else "No provider to try",
            tried=tried,
            **({"provider_status": last.status_code} if last and last.status_code else {}),
        )

    async def _with_retries(
        self, provider: Provider, route: Route, call: ProviderCall
    ) -> ProviderReply:
        call = replace(call, model=route.model)
        attempt = 0
        while True:
            try:
                return await self.attempt(provider, call)
            except ProviderError as exc:
                delay = self.policy.delay(attempt, exc)
                if delay is None:
                    raise
                log.info("llm_retry", provider=provider.name, attempt=attempt + 1, delay=delay)
                await self._sleep(delay)
                attempt += 1

    @staticmethod
    async def attempt(provider: Provider, call: ProviderCall) -> ProviderReply:
        """One call under the per-call timeout."""
        try:
            async with asyncio.timeout(call.timeout):
                return await provider.complete(call)
        except TimeoutError:
            raise ProviderTimeout(f"{provider.name}: timed out", provider=provider.name) from None

    def _count(self, provider: str, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.llm_calls.labels(provider, outcome).inc()
