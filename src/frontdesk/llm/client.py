"""The one entry point: :class:`LLMGateway` ``.complete()`` and ``.stream()``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from frontdesk.core.cache import TTLCache
from frontdesk.core.clock import utcnow
from frontdesk.core.crypto import KeyRing
from frontdesk.core.db import Database
from frontdesk.core.ids import new_id
from frontdesk.core.metrics import Metrics
from frontdesk.llm import budgets
from frontdesk.llm.breaker import BreakerBoard
from frontdesk.llm.cache_policy import cacheable, scope_of
from frontdesk.llm.costs import cost_pusd, count_prompt, count_text, pico, usd
from frontdesk.llm.errors import (
    AllProvidersFailed,
    InvalidOutput,
    NotConfiguredError,
    ProviderError,
    ProviderTimeout,
)
from frontdesk.llm.fallback import CALLER_FAULTS, PolicyChain, RetryPolicy
from frontdesk.llm.models import LLMUsage
from frontdesk.llm.output import validate_output
from frontdesk.llm.providers.base import Provider, ProviderCall, ProviderReply, StreamUsage
from frontdesk.llm.providers.registry import build_provider
from frontdesk.llm.router import Route, complexity, plan, tier
from frontdesk.llm.schemas import Completion, CompletionRequest, NotConfigured
from frontdesk.llm.service import VAULT_SERVICE, TenantLLM, load_tenant_llm
from frontdesk.llm.templates import with_tone
from frontdesk.llm.usage import UsageWriter
from frontdesk.settings import Settings
from frontdesk.vault.revealed import RevealedValues
from frontdesk.vault.service import Vault

if TYPE_CHECKING:
    from frontdesk.knowledge.embeddings import Embedder
    from frontdesk.llm.cache import CachedAnswer

REPAIR_PROMPT = (
    "Your previous answer was not valid: {error}. Answer again with only the corrected JSON."
)


@dataclass(frozen=True, slots=True)
class _Prepared:
    config: TenantLLM
    routes: list[Route]
    call: ProviderCall


class LLMGateway:
    """Routes, guards, caches and accounts every LLM call of every tenant of this process."""

    def __init__(
        self,
        db: Database,
        keyring: KeyRing,
        settings: Settings,
        metrics: Metrics | None = None,
        embedder: Callable[[], Embedder] | None = None,
        now: Callable[[], datetime] = utcnow,
        vault: Vault | None = None,
    ) -> None:
        self._db = db
        self._keyring = keyring
        self._revealed = RevealedValues(vault or Vault(db, keyring, settings), VAULT_SERVICE)
        self.settings = settings
        self._metrics = metrics
        self._now = now
        self.breakers = BreakerBoard(db, settings, now)
        self.chain = PolicyChain(self.breakers, RetryPolicy.from_settings(settings), metrics)
        # numpy and the embedder load with the cache, not with ``import frontdesk.llm``.
        from frontdesk.knowledge.embeddings import get_embedder
        from frontdesk.llm.cache import SemanticCache

        self.cache = SemanticCache(
            db, settings, embedder or (lambda: get_embedder(settings)), metrics, now
        )
        self.usage = UsageWriter(db, settings.llm_budget_alert_ratio, now)
        self._providers: dict[tuple[str | None, ...], Provider] = {}
        self._configs: TTLCache[str, TenantLLM] = TTLCache(settings.tenant_cache_seconds)
        self._loading: dict[str, asyncio.Lock] = {}

    # -- configuration -------------------------------------------------------------------
    async def tenant_config(self, tenant_id: str) -> TenantLLM:
        """The tenant's LLM configuration, cached for ``tenant_cache_seconds``.

        One load per tenant at a time: concurrent callers wait for it rather than each
        revealing the tenant's vault credentials again.
        """
        config = self._configs.get(tenant_id)
        if config is not None:
            return config
        async with self._loading.setdefault(tenant_id, asyncio.Lock()):
            return await self._configs.load(
                tenant_id,
                lambda: load_tenant_llm(
                    self._db, self._keyring, self.settings, tenant_id, self._revealed
                ),
            )

    async def forget(self, tenant_id: str) -> None:
        """Drop what this process holds for a tenant after its settings changed."""
        self._configs.forget(tenant_id)
        for key in [k for k in self._providers if k[0] == tenant_id]:
            await self._providers.pop(key).aclose()

    def _provider(self, tenant_id: str, route: Route) -> Provider:
        config = route.provider
        key = (
            tenant_id,
            config.name,
            config.kind,
            config.api_key,
            config.base_url,
            config.api_version,
        )
        provider = self._providers.get(key)
        if provider is None:
            provider = self._providers[key] = build_provider(config, self.settings)
        return provider

    async def flush(self) -> None:
        """Write the usage records still queued (tests, shutdown)."""
        await self.usage.flush()

    async def aclose(self) -> None:
        """Write queued usage and close every provider's HTTP client."""
        await self.usage.aclose()
        await self.cache.aclose()
        for provider in self._providers.values():
            await provider.aclose()
        self._providers.clear()

    # -- completion ----------------------------------------------------------------------
    async def _prepare(
        self, tenant_id: str, request: CompletionRequest
    ) -> _Prepared | NotConfigured:
        config = await self.tenant_config(tenant_id)
        if not config.providers:
            detail = NotConfigured().detail
            if config.missing_keys:
                detail = f"No API key for: {', '.join(config.missing_keys)}"
            return NotConfigured(detail=detail)
        preference = request.preference
        if config.budget_pusd is not None:
            # Unwritten costs first: a write landing between the two reads is then counted
            # twice (safe), never missed.
            spent = self.usage.unwritten(tenant_id)
            async with self._db.tenant_session(tenant_id) as session:
                spent += await budgets.spent(session, tenant_id, budgets.month_of(self._now()))
            preference = budgets.enforce(
                config.budget_pusd, spent, config.budget_action, preference
            )
        system = with_tone(config.tone, request.system)
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        prompt_tokens = count_prompt(system, messages)
        chosen = tier(preference, complexity(request, prompt_tokens))
        routes = plan(config.providers, request, chosen)
        cap = config.max_tokens_cap or self.settings.llm_max_tokens
        call = ProviderCall(
            model=routes[0].model,
            messages=messages,
            system=system,
            max_tokens=min(request.max_tokens or cap, cap),
            temperature=request.temperature,
            json_mode=request.json_mode,
            json_schema=request.json_schema,
            timeout=self.settings.llm_timeout_seconds,
        )
        return _Prepared(config, routes, call)

    async def complete(
        self, tenant_id: str, request: CompletionRequest
    ) -> Completion | NotConfigured:
        """Answer ``request`` for ``tenant_id``, or say that no provider is configured.

        Raises ``BudgetExceeded``, ``UnknownModel``, ``AllProvidersFailed`` or ``InvalidOutput``.
        """
        started = time.perf_counter()
        prepared = await self._prepare(tenant_id, request)
        if isinstance(prepared, NotConfigured):
            return prepared
        call = prepared.call
        scope = vector = None
        if self.settings.llm_cache_enabled and cacheable(request):
            scope = scope_of(prepared.routes[0].model, call.system, request.knowledge_version)
            vector = await self.cache.embed(request.messages[-1].content)
            hit = await self.cache.lookup(tenant_id, scope, vector)
            if hit is not None:
                return await self._cached(tenant_id, request, hit, started)
        result = await self.chain.run(
            tenant_id, prepared.routes, call, lambda r: self._provider(tenant_id, r)
        )
        completion = await self._account(
            tenant_id, request, call, result.route, result.reply, started
        )
        if request.wants_json:
            completion = await self._validated(tenant_id, request, prepared, completion, started)
        if scope is not None and vector is not None:
            from frontdesk.llm.cache import CachedAnswer

            answer = CachedAnswer(completion.text, completion.model, completion.provider, 1.0)
            tokens = (completion.tokens_in, completion.tokens_out)
            await self.cache.store(
                tenant_id, scope, request.messages[-1].content, vector, answer, tokens
            )
        return completion

    async def _validated(
        self,
        tenant_id: str,
        request: CompletionRequest,
        prepared: _Prepared,
        completion: Completion,
        started: float,
    ) -> Completion:
        error, data = validate_output(completion.text, request.json_schema)
        if error is None:
            return completion.model_copy(update={"data": data})
        repair = [
            *prepared.call.messages,
            {"role": "assistant", "content": completion.text},
            {"role": "user", "content": REPAIR_PROMPT.format(error=error)},
        ]
        call = replace(prepared.call, messages=repair)
        result = await self.chain.run(
            tenant_id, prepared.routes, call, lambda r: self._provider(tenant_id, r)
        )
        second = await self._account(tenant_id, request, call, result.route, result.reply, started)
        error, data = validate_output(second.text, request.json_schema)
        if error is not None:
            raise InvalidOutput(f"The model's answer is not valid after one repair: {error}")
        total = pico(completion.cost_usd) + pico(second.cost_usd)
        return second.model_copy(
            update={
                "data": data,
                "tokens_in": completion.tokens_in + second.tokens_in,
                "tokens_out": completion.tokens_out + second.tokens_out,
                "cost_usd": usd(total),
            }
        )

    async def _cached(
        self, tenant_id: str, request: CompletionRequest, hit: CachedAnswer, started: float
    ) -> Completion:
        latency = (time.perf_counter() - started) * 1000
        await self._record(
            tenant_id, request.service, hit.provider, hit.model, 0, 0, 0, latency, True
        )
        return Completion(
            text=hit.answer,
            model=hit.model,
            provider=hit.provider,
            tokens_in=0,
            tokens_out=0,
            cost_usd="0",
            latency_ms=round(latency, 3),
            cached=True,
        )

    async def _account(
        self,
        tenant_id: str,
        request: CompletionRequest,
        call: ProviderCall,
        route: Route,
        reply: ProviderReply,
        started: float,
    ) -> Completion:
        # The provider's own counts when it reported them: they are what it bills.
        tokens_in = (
            reply.tokens_in
            if reply.tokens_in is not None
            else count_prompt(call.system, call.messages)
        )
        tokens_out = reply.tokens_out if reply.tokens_out is not None else count_text(reply.text)
        cost = cost_pusd(
            route.provider.kind,
            route.model,
            tokens_in,
            tokens_out,
            self.settings.llm_price_overrides,
        )
        latency = (time.perf_counter() - started) * 1000
        await self._record(
            tenant_id,
            request.service,
            route.provider.name,
            route.model,
            tokens_in,
            tokens_out,
            cost,
            latency,
            False,
        )
        return Completion(
            text=reply.text,
            model=route.model,
            provider=route.provider.name,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=usd(cost),
            latency_ms=round(latency, 3),
        )

    async def _record(
        self,
        tenant_id: str,
        service: str,
        provider: str,
        model: str,
        tokens_in: int,
        tokens_out: int,
        cost: int,
        latency_ms: float,
        cache_hit: bool,
    ) -> None:
        config = await self.tenant_config(tenant_id)
        usage = LLMUsage(
            id=new_id(),
            tenant_id=tenant_id,
            service=service,
            provider=provider,
            model=model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_pusd=cost,
            latency_ms=latency_ms,
            cache_hit=cache_hit,
            created_at=self._now(),
        )
        self.usage.add(usage, config.budget_pusd)

    # -- streaming -----------------------------------------------------------------------
    async def stream(self, tenant_id: str, request: CompletionRequest) -> AsyncIterator[str]:
        """Yield the answer's text deltas in order.

        Retries and fallback happen only before the first delta; after it, a failure ends the
        stream with ``ProviderError``. Raises ``NotConfiguredError`` when no provider is set.
        """
        started = time.perf_counter()
        prepared = await self._prepare(tenant_id, request)
        if isinstance(prepared, NotConfigured):
            raise NotConfiguredError(prepared.detail)
        tried: list[str] = []
        for route in prepared.routes:
            name = route.provider.name
            if not await self.breakers.allow(tenant_id, name):
                tried.append(f"{name}: circuit open")
                continue
            call = replace(prepared.call, model=route.model)
            provider = self._provider(tenant_id, route)
            attempt = 0
            while True:
                emitted = False
                parts: list[str] = []
                usage = StreamUsage(None, None)
                try:
                    async with aclosing(self._timed(provider, call)) as items:
                        async for item in items:
                            if isinstance(item, StreamUsage):
                                usage = item
                                continue
                            emitted = True
                            parts.append(item)
                            yield item
                except GeneratorExit:
                    # The consumer left mid-stream: what was generated is still billed.
                    partial = ProviderReply("".join(parts), route.model, None, None)
                    await self._account(tenant_id, request, call, route, partial, started)
                    raise
                except ProviderError as exc:
                    delay = None if emitted else self.chain.policy.delay(attempt, exc)
                    if delay is not None:
                        await asyncio.sleep(delay)
                        attempt += 1
                        continue
                    if exc.status_code not in CALLER_FAULTS:
                        await self.breakers.failure(tenant_id, name, exc.detail)
                    if emitted:
                        raise
                    tried.append(exc.detail)
                    break
                await self.breakers.success(tenant_id, name)
                reply = ProviderReply(
                    "".join(parts), route.model, usage.tokens_in, usage.tokens_out
                )
                await self._account(tenant_id, request, call, route, reply, started)
                return
        raise AllProvidersFailed(
            "Every LLM provider failed: " + "; ".join(tried) if tried else "No provider to try",
            tried=tried,
        )

    @staticmethod
    async def _timed(provider: Provider, call: ProviderCall) -> AsyncGenerator[Any, None]:
        """The provider's stream, each item due within the per-call timeout."""
        async with aclosing(provider.stream(call)) as items:
            iterator = aiter(items)
            while True:
                try:
                    async with asyncio.timeout(call.timeout):
                        item = await anext(iterator)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    raise ProviderTimeout(
                        f"{provider.name}: timed out", provider=provider.name
                    ) from None
                yield item
