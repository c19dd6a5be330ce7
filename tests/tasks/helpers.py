from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from frontdesk.core.outbox import OutboxEvent
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import open_session, wait_for_messages

URL = "/api/v1/tasks"


async def create(client: httpx.AsyncClient, tenant: TenantCtx, **body: Any) -> dict[str, Any]:
    """A task made through the API (201 expected)."""
    r = await client.post(URL, headers=tenant.headers, json={"title": "Call back", **body})
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


async def events(runtime: Runtime, tenant_id: str, type_: str) -> list[dict[str, Any]]:
    """The payloads of the tenant's outbox events of ``type_``, oldest first."""
    async with runtime.db.tenant_session(tenant_id) as session:
        rows = await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.tenant_id == tenant_id, OutboxEvent.type == type_)
            .order_by(OutboxEvent.id)
        )
        return [row.payload for row in rows]


async def say(client: httpx.AsyncClient, sid: str, headers: dict[str, str], text: str) -> None:
    """A customer's web chat message (202 expected)."""
    r = await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": text}
    )
    assert r.status_code == 202, r.text


async def webchat_conversation(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A real web chat conversation: a question and its FAQ answer. Session, headers, row."""
    sid, headers = await open_session(client, tenant.slug)
    await say(client, sid, headers, "When will my order arrive?")
    await wait_for_messages(client, sid, headers, 2)
    [conversation] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
    return sid, headers, conversation
