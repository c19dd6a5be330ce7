"""Helpers for the inbox tests: customers on the web chat, members logged in, events."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from sqlalchemy import select

from frontdesk.core.auth import Role
from frontdesk.core.outbox import OutboxEvent
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import login, make_member, open_session

UNANSWERABLE = "My blender exploded, what now?"
"""A question the tenant's FAQ cannot answer: the bot hands the conversation over."""


async def member_client(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, email: str, role: Role
) -> tuple[httpx.AsyncClient, dict[str, str], str]:
    """A logged-in member's own client, its CSRF header and the member id."""
    member_id = await make_member(runtime.db, tenant.id, email, role)
    member = httpx.AsyncClient(transport=client._transport, base_url="http://test")
    return member, await login(member, tenant.slug, email), member_id


async def set_available(member: httpx.AsyncClient, csrf: dict[str, str], available: bool) -> None:
    """Mark the logged-in member available or away."""
    r = await member.put(
        "/api/v1/members/me/availability", json={"available": available}, headers=csrf
    )
    assert r.status_code == 200, r.text
    assert r.json()["available"] is available


async def say(client: httpx.AsyncClient, sid: str, headers: dict[str, str], text: str) -> None:
    """The customer writes on the web chat."""
    r = await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": text}
    )
    assert r.status_code == 202, r.text


async def wait_for_messages(
    client: httpx.AsyncClient,
    sid: str,
    headers: dict[str, str],
    count: int,
    timeout: float = 15.0,
) -> list[dict[str, Any]]:
    """The web chat's messages once there are ``count`` (polling under the public rate limit)."""
    deadline = time.monotonic() + timeout
    while True:
        r = await client.get(f"/api/v1/webchat/sessions/{sid}/messages", headers=headers)
        assert r.status_code == 200, r.text
        messages: list[dict[str, Any]] = r.json()
        if len(messages) >= count or time.monotonic() > deadline:
            return messages
        await asyncio.sleep(0.15)


async def customer_asks(
    client: httpx.AsyncClient, tenant: TenantCtx, text: str = UNANSWERABLE
) -> tuple[str, dict[str, str], list[dict[str, Any]]]:
    """A new web chat customer asks ``text`` and gets the bot's reply."""
    sid, headers = await open_session(client, tenant.slug)
    await say(client, sid, headers, text)
    messages = await wait_for_messages(client, sid, headers, 2)
    assert len(messages) == 2, messages
    return sid, headers, messages


async def conversation_of(
    client: httpx.AsyncClient, tenant: TenantCtx, message_id: str
) -> dict[str, Any]:
    """The conversation a customer message belongs to, as the inbox lists it."""
    r = await client.get("/api/v1/conversations", headers=tenant.headers, params={"limit": 500})
    assert r.status_code == 200, r.text
    for conversation in r.json():
        detail = await client.get(
            f"/api/v1/conversations/{conversation['id']}", headers=tenant.headers
        )
        if any(m["id"] == message_id for m in detail.json()["messages"]):
            return dict(conversation)
    raise AssertionError(f"no conversation holds {message_id}")


async def events(runtime: Runtime, tenant_id: str, type_: str) -> list[dict[str, Any]]:
    """The payloads of the tenant's events of ``type_``, oldest first."""
    async with runtime.db.tenant_session(tenant_id) as session:
        rows = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == type_).order_by(OutboxEvent.id)
        )
        return [dict(e.payload) for e in rows]
