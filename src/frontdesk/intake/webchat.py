"""Web chat intake: sessions, durable message acceptance, and reading the conversation back."""

from __future__ import annotations

import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from sqlalchemy import Table

from frontdesk.channels.service import channel_of_type
from frontdesk.conversations import service as conversations
from frontdesk.conversations.models import Message
from frontdesk.core.auth import hash_secret
from frontdesk.core.clock import utcnow
from frontdesk.core.errors import Unauthorized
from frontdesk.core.ids import new_id
from frontdesk.core.logging import correlation_id
from frontdesk.core.ratelimit import Bucket
from frontdesk.intake.models import RawMessage, WebchatSession
from frontdesk.queue.base import NewJob
from frontdesk.queue.sql import jobs
from frontdesk.runtime import Runtime
from frontdesk.tenants.cache import TenantInfo

CHANNEL = "webchat"
PROCESS_MESSAGE = "message.process"
raw_messages = cast(Table, RawMessage.__table__)


@dataclass(frozen=True, slots=True)
class SessionRef:
    """What a verified web chat token grants: one session of one tenant's channel."""

    id: str
    tenant_id: str
    channel_id: str


def thread_key(channel_id: str, thread_id: str) -> str:
    """The live-hub key of a channel thread."""
    return f"thread:{channel_id}:{thread_id}"


class WebchatService:
    """Creates sessions, verifies their tokens (cached), accepts and lists messages."""

    def __init__(self, runtime: Runtime, cache_size: int = 50_000) -> None:
        self._rt = runtime
        self._sessions: OrderedDict[str, tuple[str, SessionRef]] = OrderedDict()
        self._cache_size = cache_size

    async def limit(self, tenant_id: str, client_ip: str, *, write: bool = True) -> None:
        """Apply the public rate limits: per tenant and client IP, and (writes) per tenant."""
        s = self._rt.settings
        buckets = [
            Bucket(f"ip:{tenant_id}:{client_ip}", s.public_rate_per_ip, s.public_burst_per_ip)
        ]
        if write:
            buckets.append(
                Bucket(f"tenant:{tenant_id}", s.public_rate_per_tenant, s.public_burst_per_tenant)
            )
        await self._rt.limiter.hit(*buckets)  # one round trip to Redis in the scaled shape

    async def create_session(self, tenant: TenantInfo) -> tuple[str, str]:
        """Open a session on the tenant's web chat channel; return ``(session_id, token)``."""
        token = secrets.token_urlsafe(32)
        async with self._rt.db.tenant_tx(tenant.id) as session:
            channel = await channel_of_type(session, tenant.id, CHANNEL)
            row = WebchatSession(
                tenant_id=tenant.id, channel_id=channel.id, token_hash=hash_secret(token)
            )
            session.add(row)
        self._remember(row.token_hash, SessionRef(row.id, tenant.id, channel.id))
        return row.id, token

    def _remember(self, token_hash: str, ref: SessionRef) -> None:
        self._sessions[ref.id] = (token_hash, ref)
        if len(self._sessions) > self._cache_size:
            self._sessions.popitem(last=False)

    async def verify(self, session_id: str, token: str) -> SessionRef:
        """The session that ``token`` opens, or :class:`Unauthorized`."""
        digest = hash_secret(token)
        cached = self._sessions.get(session_id)
        if cached is None:
            async with self._rt.db.system_session() as session:
                row = await session.get(WebchatSession, session_id)
            if row is None:
                raise Unauthorized("Invalid session or token")
            cached = (row.token_hash, SessionRef(row.id, row.tenant_id, row.channel_id))
            self._remember(*cached)
        if not hmac.compare_digest(cached[0], digest):
            raise Unauthorized("Invalid session or token")
        return cached[1]

    async def accept(self, ref: SessionRef, tenant: TenantInfo, text: str) -> str:
        """Store the message and its processing job in one transaction; return the message id.

        Only after this commit does the caller answer 202: an acknowledged message is on disk,
        and it will be processed even if the process dies the next instant.
        """
        message_id = new_id()
        now = utcnow()
        raw = {
            "id": message_id,
            "created_at": now,
            "tenant_id": tenant.id,
            "channel_id": ref.channel_id,
            "external_id": message_id,
            "correlation_id": correlation_id.get(),
            "payload": {"type": "text", "text": text, "thread_id": ref.id, "sender_id": ref.id},
            "retention_expiry": now + timedelta(days=tenant.retention_days),
        }
        job = NewJob(
            kind=PROCESS_MESSAGE,
            tenant_id=tenant.id,
            ordering_key=f"{CHANNEL}:{ref.id}",
            payload={"raw_message_id": message_id},
            priority=10,
        )
        # Shared with concurrent requests: one transaction, committed before we return.
        await self._rt.intake.insert([(raw_messages, raw), (jobs, self._rt.queue.row(job))])
        self._rt.wake_workers()
        self._rt.metrics.messages.labels(CHANNEL, "in").inc()
        return message_id

    async def messages(self, ref: SessionRef, after: str | None) -> list[Message]:
        """The session's conversation so far (or after message ``after``)."""
        async with self._rt.db.tenant_session(ref.tenant_id) as session:
            return await conversations.thread_messages(
                session, ref.tenant_id, ref.channel_id, ref.id, after=after
            )
