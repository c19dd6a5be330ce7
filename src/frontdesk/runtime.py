"""Everything a process holds for its lifetime, built once from settings."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.channels.directory import ChannelDirectory
from frontdesk.channels.models import Channel
from frontdesk.conversations.service import forget_expired_contexts
from frontdesk.core import heap
from frontdesk.core.auth import ApiKeyAuthenticator
from frontdesk.core.clock import Clock, SystemClock
from frontdesk.core.crypto import KeyRing, load_master_key, load_previous_master_key
from frontdesk.core.db import Database, create_engine
from frontdesk.core.errors import NotFound
from frontdesk.core.group_commit import GroupCommit
from frontdesk.core.live import Hub
from frontdesk.core.logging import get_logger
from frontdesk.core.metrics import Metrics
from frontdesk.core.middleware import InFlight
from frontdesk.core.outbox import OutboxDispatcher
from frontdesk.core.ratelimit import Limiter, RateLimiter, RedisRateLimiter
from frontdesk.core.sessions import SessionAuthenticator
from frontdesk.knowledge.embeddings import get_embedder
from frontdesk.knowledge.faq_index import FaqIndex
from frontdesk.knowledge.index import KnowledgeBase
from frontdesk.login.service import prune_sessions
from frontdesk.queue.sql import SqlQueue, jobs
from frontdesk.queue.worker import Worker
from frontdesk.routing.rules import RuleCache
from frontdesk.settings import Settings
from frontdesk.tenants.cache import TenantCache
from frontdesk.understanding.language import LanguageDetector
from frontdesk.understanding.service import IntentModels
from frontdesk.vault.service import Vault

if TYPE_CHECKING:
    from frontdesk.llm.client import LLMGateway

log = get_logger("frontdesk.runtime")


@dataclass
class Runtime:
    """Shared services: the database, queue, key ring, caches, limiter, live hub and metrics."""

    settings: Settings
    db: Database
    keyring: KeyRing
    queue: SqlQueue
    tenants: TenantCache
    auth: ApiKeyAuthenticator
    sessions: SessionAuthenticator
    limiter: Limiter
    hub: Hub
    metrics: Metrics
    outbox: OutboxDispatcher
    faq: FaqIndex
    intake: GroupCommit
    intents: IntentModels
    languages: LanguageDetector
    channels: ChannelDirectory
    kb: KnowledgeBase
    in_flight: InFlight
    routing: RuleCache
    workers: list[Worker] = field(default_factory=list)
    clock: Clock = field(default_factory=SystemClock)
    """The process's clock: one-time codes and the vault read it (tests set their own)."""
    _channel_types: dict[str, tuple[str, str]] = field(default_factory=dict)
    _llm: LLMGateway | None = None

    @property
    def llm(self) -> LLMGateway:
        """The LLM gateway, built on first use."""
        if self._llm is None:
            from frontdesk.llm.client import LLMGateway

            self._llm = LLMGateway(
                self.db, self.keyring, self.settings, self.metrics, vault=Vault.of(self)
            )
        return self._llm

    async def close_llm(self) -> None:
        """Close the LLM providers' HTTP clients, if the gateway was used."""
        if self._llm is not None:
            await self._llm.aclose()

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        """Build the runtime (opens no connection yet)."""
        db = Database(create_engine(settings))
        master = settings.master_key.get_secret_value() if settings.master_key else None
        previous = load_previous_master_key(
            settings.master_key_previous.get_secret_value()
            if settings.master_key_previous
            else None,
            settings.data_dir,
        )
        keyring = KeyRing(
            load_master_key(master, settings.data_dir), previous=[previous] if previous else []
        )
        queue = SqlQueue(
            db,
            lease_seconds=settings.queue_lease_seconds,
            max_attempts=settings.queue_max_attempts,
            backoff_base=settings.queue_backoff_base_seconds,
            backoff_max=settings.queue_backoff_max_seconds,
        )
        return cls(
            settings=settings,
            db=db,
            keyring=keyring,
            queue=queue,
            tenants=TenantCache(db, settings.tenant_cache_seconds),
            auth=ApiKeyAuthenticator(db, settings.tenant_cache_seconds),
            sessions=SessionAuthenticator(db),
            limiter=(
                RedisRateLimiter.from_url(settings.redis_url)
                if settings.redis_url
                else RateLimiter()
            ),
            hub=Hub(),
            metrics=Metrics(),
            outbox=OutboxDispatcher(db),
            faq=FaqIndex(
                settings.tenant_cache_seconds,
                (lambda: get_embedder(settings)) if settings.faq_semantic else None,
            ),
            intake=GroupCommit(db, on_insert={jobs: queue.inserted}),
            intents=IntentModels(settings.tenant_cache_seconds),
            routing=RuleCache(settings.tenant_cache_seconds),
            languages=LanguageDetector(settings.languages),
            channels=ChannelDirectory(db, keyring, settings, Vault(db, keyring, settings)),
            kb=KnowledgeBase(settings),
            in_flight=InFlight(settings.worker_give_way_writes),
        )

    async def channel_type(self, session: AsyncSession, tenant_id: str, channel_id: str) -> str:
        """The type of the tenant's channel (cached: a channel never changes type or tenant)."""
        known = self._channel_types.get(channel_id)
        if known is None:
            row = (
                await session.execute(
                    select(Channel.tenant_id, Channel.type).where(Channel.id == channel_id)
                )
            ).first()
            if row is None:
                raise NotFound("Unknown channel")
            known = self._channel_types[channel_id] = (row.tenant_id, row.type)
        if known[0] != tenant_id:
            raise NotFound("Unknown channel")
        return known[1]

    def wake_workers(self) -> None:
        """Tell in-process workers that a job was just committed."""
        for worker in self.workers:
            worker.wake.set()

    async def run_background(self, stop: asyncio.Event, workers: int) -> None:
        """Run the worker(s) and the outbox dispatcher until ``stop`` is set."""
        from frontdesk.handlers.jobs import job_handlers
        from frontdesk.workflows.triggers import on_event, run_schedules

        handlers = job_handlers(self)
        self.outbox.subscribe("", partial(on_event, self))
        self.workers = (
            [
                Worker(
                    self.db,
                    self.queue,
                    handlers,
                    concurrency=workers,
                    batch=self.settings.queue_batch,
                    poll_seconds=self.settings.queue_poll_seconds,
                    lease_seconds=self.settings.queue_lease_seconds,
                    metrics=self.metrics,
                    give_way=self.in_flight.busy,
                )
            ]
            if workers > 0
            else []
        )
        tasks = [asyncio.create_task(w.run(stop)) for w in self.workers]
        tasks.append(
            asyncio.create_task(self.outbox.run(stop, self.settings.queue_poll_seconds * 4))
        )
        if self.workers:
            from frontdesk.vault.lifecycle import run_forever

            tasks.append(asyncio.create_task(self._prune_loop(stop)))
            tasks.append(asyncio.create_task(self._warm_up()))
            tasks.append(asyncio.create_task(run_schedules(self, stop)))
            tasks.append(asyncio.create_task(run_forever(Vault.of(self), stop)))
        await asyncio.gather(*tasks)

    async def _warm_up(self) -> None:
        """Load the local model now (exporting it on a first start), not in the first message."""
        if self.settings.faq_semantic and self.settings.embedding_backend == "local":
            try:
                await get_embedder(self.settings).embed(["warm-up"])
            except Exception:
                log.exception("model_warm_up_failed")
            else:
                heap.settle()

    async def _prune_loop(self, stop: asyncio.Event, every: float = 600.0) -> None:
        """Drop finished jobs, delivered events, expired sessions and expired contexts."""
        keep = timedelta(hours=self.settings.queue_keep_done_hours)
        while not stop.is_set():
            try:
                jobs = await self.queue.prune(keep)
                events = await self.outbox.prune(keep)
                sessions = await prune_sessions(self.db)
                contexts = await forget_expired_contexts(self.db)
                if jobs or events or sessions or contexts:
                    log.info(
                        "pruned", jobs=jobs, events=events, sessions=sessions, contexts=contexts
                    )
            except Exception:
                log.exception("prune_failed")
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
