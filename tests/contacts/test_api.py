from __future__ import annotations

import httpx

from tests.conftest import TenantCtx
from tests.factories import open_session, wait_for_messages


async def chat(client: httpx.AsyncClient, slug: str, text: str) -> str:
    sid, headers = await open_session(client, slug)
    await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": text}
    )
    await wait_for_messages(client, sid, headers, 2)
    return sid


async def test_contacts_list_update_and_merge(client: httpx.AsyncClient, tenant: TenantCtx):
    first = await chat(client, tenant.slug, "When will my order arrive?")
    await chat(client, tenant.slug, "What is your return policy?")
    contacts = (await client.get("/api/v1/contacts", headers=tenant.headers)).json()
    assert len(contacts) == 2
    older, newer = contacts[1]["id"], contacts[0]["id"]

    detail = (await client.get(f"/api/v1/contacts/{older}", headers=tenant.headers)).json()
    assert detail["identities"] == [{"channel_type": "webchat", "external_id": first}]

    r = await client.patch(
        f"/api/v1/contacts/{older}",
        headers=tenant.headers,
        json={
            "name": "Ann Lee",
            "email": "ann@example.com",
            "vip": True,
            "attributes": {"plan": "gold"},
        },
    )
    assert r.status_code == 200
    assert r.json()["vip"] is True
    assert (
        await client.patch(
            f"/api/v1/contacts/{older}", headers=tenant.headers, json={"phone": "call me maybe"}
        )
    ).status_code == 422
    found = (
        await client.get("/api/v1/contacts", params={"q": "ann"}, headers=tenant.headers)
    ).json()
    assert [c["id"] for c in found] == [older]

    r = await client.post(
        f"/api/v1/contacts/{older}/merge", headers=tenant.headers, json={"other_id": newer}
    )
    assert r.status_code == 200
    merged = r.json()
    assert len(merged["identities"]) == 2
    assert merged["name"] == "Ann Lee"
    conversations = (
        await client.get(
            "/api/v1/conversations", params={"contact_id": older}, headers=tenant.headers
        )
    ).json()
    assert len(conversations) == 2
    remaining = (await client.get("/api/v1/contacts", headers=tenant.headers)).json()
    assert [c["id"] for c in remaining] == [older]
    r = await client.post(
        f"/api/v1/contacts/{older}/merge", headers=tenant.headers, json={"other_id": newer}
    )
    assert r.status_code == 409


async def test_conversations_read(client: httpx.AsyncClient, tenant: TenantCtx):
    await chat(client, tenant.slug, "When will my order arrive?")
    await chat(client, tenant.slug, "quantum zebra")
    conversations = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
    assert len(conversations) == 2
    flagged = (
        await client.get(
            "/api/v1/conversations", params={"needs_human": True}, headers=tenant.headers
        )
    ).json()
    assert len(flagged) == 1
    detail = (
        await client.get(f"/api/v1/conversations/{flagged[0]['id']}", headers=tenant.headers)
    ).json()
    assert [m["sender"] for m in detail["messages"]] == ["customer", "bot"]
    first = detail["messages"][0]["id"]
    after = (
        await client.get(
            f"/api/v1/conversations/{flagged[0]['id']}/messages",
            params={"after": first},
            headers=tenant.headers,
        )
    ).json()
    assert [m["sender"] for m in after] == ["bot"]
    assert (
        await client.get("/api/v1/conversations/nope", headers=tenant.headers)
    ).status_code == 404
