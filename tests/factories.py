"""Small builders for test data, through the real services."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from frontdesk.channels.service import ensure_channel
from frontdesk.core.auth import Role
from frontdesk.core.db import Database
from frontdesk.knowledge.models import FaqEntry
from frontdesk.tenants import service as tenants

SHIPPING_ANSWER = "Standard shipping takes 3-5 business days."


async def make_tenant(
    db: Database, slug: str, role: Role = Role.ADMIN, faq: bool = True
) -> tuple[str, str]:
    """A tenant with a web chat channel, a small FAQ, and an API key of ``role``."""
    async with db.system_session() as session:
        tenant = await tenants.create_tenant(session, slug)
    async with db.tenant_session(tenant.id) as session:
        await ensure_channel(session, tenant.id, "webchat", "Web chat")
        if faq:
            session.add_all(
                [
                    FaqEntry(
                        tenant_id=tenant.id,
                        question="How long does shipping take?",
                        alternate_questions=["When will my order arrive?"],
                        answer=SHIPPING_ANSWER,
                    ),
                    FaqEntry(
                        tenant_id=tenant.id,
                        question="What is your return policy?",
                        alternate_questions=["Can I return an item?"],
                        answer="You can return items within 30 days.",
                    ),
                ]
            )
        await session.commit()
        _, key = await tenants.create_api_key(session, tenant.id, role, "test")
    return tenant.id, key


async def api_key(db: Database, tenant_id: str, role: Role) -> str:
    async with db.tenant_session(tenant_id) as session:
        _, key = await tenants.create_api_key(session, tenant_id, role, "test")
    return key


async def open_session(client: httpx.AsyncClient, slug: str) -> tuple[str, dict[str, str]]:
    r = await client.post(f"/api/v1/webchat/{slug}/sessions")
    assert r.status_code == 201, r.text
    body = r.json()
    return body["session_id"], {"Authorization": f"Bearer {body['token']}"}


async def wait_for_messages(
    client: httpx.AsyncClient,
    session_id: str,
    headers: dict[str, str],
    count: int,
    timeout: float = 10.0,
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        r = await client.get(f"/api/v1/webchat/sessions/{session_id}/messages", headers=headers)
        assert r.status_code == 200, r.text
        messages: list[dict[str, Any]] = r.json()
        if len(messages) >= count or time.monotonic() > deadline:
            return messages
        await asyncio.sleep(0.02)


async def make_member(
    db: Database, tenant_id: str, email: str, role: Role, password: str = "correct-horse-1"
) -> str:
    """A member of ``role`` with a console password; returns the member id."""
    from frontdesk.login.service import set_password
    from frontdesk.tenants.schemas import MemberCreate

    async with db.tenant_session(tenant_id) as session:
        member = await tenants.create_member(
            session, tenant_id, MemberCreate(email=email, role=role)
        )
    await set_password(db, tenant_id, member.id, password)
    return member.id


async def login(
    client: httpx.AsyncClient, slug: str, email: str, password: str = "correct-horse-1"
) -> dict[str, str]:
    """Log ``client`` in (it keeps the cookies); return the CSRF header for writes."""
    r = await client.post(
        "/api/v1/auth/login", json={"tenant": slug, "email": email, "password": password}
    )
    assert r.status_code == 200, r.text
    return {"X-CSRF-Token": r.json()["csrf_token"]}
