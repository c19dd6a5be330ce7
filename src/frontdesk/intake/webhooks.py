"""Provider webhooks: ``GET/POST /webhooks/{tenant}/{channel_id}``.

Order of work, cheapest refusal first: tenant and channel (cached; 404), rate limits (429),
content type (415), then the provider's verification (401, logged with the channel and the
reason, nothing stored). Only a verified request is parsed; each message is stored with its
processing job in one shared group commit, and a provider message id seen before is a no-op, so
a redelivery is answered 200 and processed once.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta
from typing import Any, cast

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from starlette.responses import JSONResponse, Response

from frontdesk.channels.canonical import Inbound, StatusUpdate, media_kind
from frontdesk.channels.directory import ChannelInfo
from frontdesk.channels.files import sealed
from frontdesk.channels.media import media_job
from frontdesk.channels.models import ChannelMedia
from frontdesk.channels.outbound import STATUS
from frontdesk.channels.protocol import ChannelAdapter, WebhookRequest
from frontdesk.channels.registry import ADAPTERS
from frontdesk.core.clock import utcnow
from frontdesk.core.deps import RuntimeDep
from frontdesk.core.errors import BadRequest, NotFound, Unauthorized, UnsupportedMediaType
from frontdesk.core.ids import new_id
from frontdesk.core.logging import correlation_id, get_logger
from frontdesk.core.ratelimit import Bucket
from frontdesk.intake.models import RawMessage
from frontdesk.intake.webchat import PROCESS_MESSAGE
from frontdesk.queue.base import NewJob
from frontdesk.queue.sql import jobs
from frontdesk.runtime import Runtime
from frontdesk.tenants.cache import TenantInfo
from frontdesk.understanding.transforms.service import transform_job

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
WEBHOOK_PATH = re.compile(r"^/webhooks/[^/]+/[^/]+$")
raw_messages = cast(Table, RawMessage.__table__)
channel_media = cast(Table, ChannelMedia.__table__)
log = get_logger("frontdesk.intake.webhooks")


def public_url(runtime: Runtime, request: Request) -> str:
    """The URL the provider called: behind a proxy, rebuilt from the configured public base."""
    base = runtime.settings.public_base_url
    if not base:
        return str(request.url)
    query = request.url.query
    return base.rstrip("/") + request.url.path + (f"?{query}" if query else "")


async def _channel(runtime: Runtime, slug: str, channel_id: str) -> tuple[TenantInfo, ChannelInfo]:
    tenant = await runtime.tenants.by_slug(slug)
    if len(channel_id) > 36:
        raise NotFound("Unknown channel")
    channel = await runtime.channels.get(tenant.id, channel_id)
    if not channel.enabled or channel.type not in ADAPTERS or channel.type == "webchat":
        raise NotFound("Unknown channel")
    return tenant, channel


async def _limit(runtime: Runtime, tenant_id: str, channel_id: str) -> None:
    s = runtime.settings
    await runtime.limiter.hit(
        Bucket(
            f"webhook:tenant:{tenant_id}", s.webhook_rate_per_tenant, s.webhook_burst_per_tenant
        ),
        Bucket(
            f"webhook:channel:{channel_id}", s.webhook_rate_per_channel, s.webhook_burst_per_channel
        ),
    )


async def _call(
    runtime: Runtime, tenant: str, channel_id: str, request: Request
) -> tuple[TenantInfo, ChannelInfo, ChannelAdapter, WebhookRequest]:
    info, channel = await _channel(runtime, tenant, channel_id)
    await _limit(runtime, info.id, channel.id)
    call = WebhookRequest(
        method=request.method,
        url=public_url(runtime, request),
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
        body=await request.body() if request.method == "POST" else b"",
        now=time.time(),
    )
    return info, channel, ADAPTERS[channel.type], call


def _rejected(channel: ChannelInfo, error: Unauthorized) -> None:
    log.warning(
        "webhook_rejected", channel=channel.type, channel_id=channel.id, reason=error.detail
    )


@router.get("/{tenant}/{channel_id}")
async def webhook_handshake(
    tenant: str, channel_id: str, request: Request, runtime: RuntimeDep
) -> Response:
    """Answer a provider's subscription handshake (Meta's ``hub.challenge``)."""
    _, channel, adapter, call = await _call(runtime, tenant, channel_id, request)
    try:
        answer = adapter.handshake(call, channel.credentials)
    except Unauthorized as e:
        _rejected(channel, e)
        raise
    if answer is None:
        raise NotFound("This channel has no GET handshake")
    return answer


@router.post("/{tenant}/{channel_id}")
async def webhook(tenant: str, channel_id: str, request: Request, runtime: RuntimeDep) -> Response:
    """Receive a provider's webhook: verify, then store each message with its job."""
    info, channel, adapter, call = await _call(runtime, tenant, channel_id, request)
    if call.content_type not in adapter.content_types:
        raise UnsupportedMediaType(
            f"A {channel.type} webhook is sent as {' or '.join(adapter.content_types)}"
        )
    try:
        adapter.verify(call, channel.credentials)
    except Unauthorized as e:
        _rejected(channel, e)
        raise
    answer = adapter.handshake(call, channel.credentials)
    if answer is not None:
        return answer
    try:
        items = adapter.parse(call)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadRequest(
            f"Unsupported or invalid {channel.type} payload: {where}: {first['msg']}"
        ) from e
    accepted, duplicates = await _store(runtime, info, channel, items)
    return adapter.ack() or JSONResponse({"accepted": accepted, "duplicates": duplicates})


async def _store(
    runtime: Runtime, tenant: TenantInfo, channel: ChannelInfo, items: list[Inbound | StatusUpdate]
) -> tuple[int, int]:
    """Store each item with its job (one group-commit entry each); count the duplicates."""
    now = utcnow()
    expiry = now + timedelta(days=tenant.retention_days)
    entries = [await _entry(runtime, tenant, channel, item, now, expiry) for item in items]
    results = await asyncio.gather(
        *(runtime.intake.insert(rows) for rows in entries), return_exceptions=True
    )
    duplicates = 0
    for result in results:
        if isinstance(result, IntegrityError):
            duplicates += 1
        elif isinstance(result, BaseException):
            raise result
    accepted = len(items) - duplicates
    if accepted:
        runtime.wake_workers()
        runtime.metrics.messages.labels(channel.type, "in").inc(accepted)
    return accepted, duplicates


async def _file_rows(
    runtime: Runtime,
    tenant: TenantInfo,
    channel: ChannelInfo,
    item: Inbound,
    raw_id: str,
    now: Any,
    ordering_key: str,
) -> list[tuple[Table, dict[str, Any]]]:
    """A media row per file of ``item``, with the job that fetches and reads it.

    A posted file is stored now, and read by a ``media.transform`` job. Both jobs take the
    conversation's ordering key: made before the message's processing job, they run first.
    """
    rows: list[tuple[Table, dict[str, Any]]] = []
    for file in item.files():
        file.id = new_id()  # before the payload is dumped: the message names its files
        row = {
            "id": file.id,
            "created_at": now,
            "tenant_id": tenant.id,
            "channel_id": channel.id,
            "raw_message_id": raw_id,
            "kind": item.kind
            if file is item.media and item.kind != "text"
            else media_kind(file.mime_type),
            "status": "pending",
            "filename": (file.filename or "")[:255] or None,
        }
        if file.content is None:
            job = media_job(tenant.id, file.id, ordering_key)
            rows += [(channel_media, row), (jobs, runtime.queue.row(job))]
        else:
            stored = await sealed(runtime, tenant.id, file.id, file.content)
            rows.append((channel_media, row | stored))
            if stored["status"] == "stored":
                job = transform_job(tenant.id, file.id, ordering_key)
                rows.append((jobs, runtime.queue.row(job)))
    return rows


async def _entry(
    runtime: Runtime,
    tenant: TenantInfo,
    channel: ChannelInfo,
    item: Inbound | StatusUpdate,
    now: Any,
    expiry: Any,
) -> list[tuple[Table, dict[str, Any]]]:
    raw_id = new_id()
    if isinstance(item, Inbound):
        key = f"{channel.id}:{item.thread_id}"
        # The file jobs' ids come first: they run before the message is processed.
        extra = await _file_rows(runtime, tenant, channel, item, raw_id, now, key)
        payload = item.model_dump(mode="json")
        job = NewJob(
            kind=PROCESS_MESSAGE,
            tenant_id=tenant.id,
            ordering_key=key,
            payload={"raw_message_id": raw_id},
            priority=10,
        )
    else:
        extra = []
        payload = {"type": "status", **item.model_dump(mode="json")}
        job = NewJob(
            kind=STATUS, tenant_id=tenant.id, payload={"raw_message_id": raw_id}, priority=1
        )
    raw = {
        "id": raw_id,
        "created_at": now,
        "tenant_id": tenant.id,
        "channel_id": channel.id,
        "external_id": item.external_id[:200],
        "correlation_id": correlation_id.get(),
        "payload": payload,
        "retention_expiry": expiry,
    }
    return [(raw_messages, raw), (jobs, runtime.queue.row(job)), *extra]
