from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from sqlalchemy import select

from frontdesk.conversations.models import Message
from frontdesk.intake.models import RawMessage
from frontdesk.queue.models import Job
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx

SPECS: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "whatsapp": (
        {"phone_number_id": "106540352242922"},
        {"app_secret": "wa-app-secret", "access_token": "wa-token"},
    ),
    "messenger": ({}, {"app_secret": "fb-app-secret", "page_access_token": "fb-token"}),
    "instagram": ({}, {"app_secret": "ig-app-secret", "page_access_token": "ig-token"}),
    "telegram": ({}, {"bot_token": "123456:ABC-DEF"}),
    "slack": ({}, {"signing_secret": "slack-signing-secret", "bot_token": "xoxb-1"}),
    "twilio": (
        {"from": "+15557654321"},
        {"account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "tw-auth-token"},
    ),
    "email": (
        {"smtp_host": "127.0.0.1", "smtp_port": 1025, "from_address": "support@shop.example"},
        {"signing_key": "mg-signing-key"},
    ),
}


async def create_channel(
    client: httpx.AsyncClient, tenant: TenantCtx, type_: str, **overrides: Any
) -> dict[str, Any]:
    config, credentials = SPECS.get(type_, ({}, {}))
    body = {
        "type": type_,
        "name": f"{type_} line",
        "config": dict(config),
        "credentials": dict(credentials),
    }
    body.update(overrides)
    r = await client.post("/api/v1/channels", headers=tenant.headers, json=body)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    created["secrets"] = {**body["credentials"]}
    if created.get("verify_token"):
        from frontdesk.channels.registry import ADAPTERS

        field = ADAPTERS[type_].generated_credential
        assert field
        created["secrets"][field] = created["verify_token"]
    return created


def telegram_headers(channel: dict[str, Any]) -> dict[str, str]:
    """What Telegram sends with each update to a channel created by :func:`create_channel`."""
    return {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": channel["secrets"]["secret_token"],
    }


def path_of(channel: dict[str, Any]) -> str:
    return "/" + channel["webhook_url"].split("/", 3)[3]


async def wait_until(predicate: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.03)


async def messages(runtime: Runtime, tenant_id: str) -> list[Message]:
    async with runtime.db.tenant_session(tenant_id) as session:
        return list(await session.scalars(select(Message).order_by(Message.id)))


async def raw_count(runtime: Runtime, tenant_id: str) -> int:
    async with runtime.db.tenant_session(tenant_id) as session:
        return len((await session.scalars(select(RawMessage.id))).all())


async def jobs_of(runtime: Runtime, kind: str) -> list[Job]:
    async with runtime.db.system_session() as session:
        return list(await session.scalars(select(Job).where(Job.kind == kind)))
