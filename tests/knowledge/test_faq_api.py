from __future__ import annotations

import httpx

from tests.conftest import TenantCtx
from tests.factories import open_session, wait_for_messages


async def test_faq_crud_and_the_bot_uses_changes_at_once(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    r = await client.post(
        "/api/v1/faq",
        headers=tenant.headers,
        json={
            "question": "Do you sell gift cards?",
            "answer": "Yes, from $10 to $500.",
            "alternate_questions": ["gift voucher"],
            "category": "payment",
            "tags": ["gifts"],
        },
    )
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["hit_count"] == 0

    sid, headers = await open_session(client, tenant.slug)
    await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages",
        headers=headers,
        json={"text": "do you sell gift cards"},
    )
    messages = await wait_for_messages(client, sid, headers, 2)
    assert messages[1]["text"] == "Yes, from $10 to $500."
    assert messages[1]["meta"] == {"handler": "faq"}  # the customer sees no internals
    [conversation] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    answer = (await client.get(url, headers=tenant.headers)).json()[1]
    assert answer["meta"]["faq_entry_id"] == entry["id"]
    assert (await client.get(f"/api/v1/faq/{entry['id']}", headers=tenant.headers)).json()[
        "hit_count"
    ] == 1

    r = await client.patch(
        f"/api/v1/faq/{entry['id']}", headers=tenant.headers, json={"answer": "Yes, any amount."}
    )
    assert r.json()["answer"] == "Yes, any amount."
    r = await client.get("/api/v1/faq", params={"category": "payment"}, headers=tenant.headers)
    assert [e["id"] for e in r.json()] == [entry["id"]]

    assert (
        await client.delete(f"/api/v1/faq/{entry['id']}", headers=tenant.headers)
    ).status_code == 204
    assert (
        await client.get(f"/api/v1/faq/{entry['id']}", headers=tenant.headers)
    ).status_code == 404
    r = await client.post(
        "/api/v1/faq/match", headers=tenant.headers, json={"text": "do you sell gift cards"}
    )
    assert r.json()["above_threshold"] is False


async def test_match_scores(client: httpx.AsyncClient, tenant: TenantCtx):
    r = await client.post(
        "/api/v1/faq/match", headers=tenant.headers, json={"text": "how long does shipping take"}
    )
    body = r.json()
    assert body["above_threshold"] and body["score"] > 90
    r = await client.post(
        "/api/v1/faq/match", headers=tenant.headers, json={"text": "my blender exploded"}
    )
    assert r.json()["above_threshold"] is False


async def test_invalid_faq_is_422(client: httpx.AsyncClient, tenant: TenantCtx):
    for body in (
        {"question": "", "answer": "a"},
        {"question": "q"},
        {"question": "q", "answer": "a", "tags": "notalist"},
    ):
        r = await client.post("/api/v1/faq", headers=tenant.headers, json=body)
        assert r.status_code == 422
        assert r.json()["errors"]
    r = await client.post(
        "/api/v1/faq",
        headers={**tenant.headers, "content-type": "application/json"},
        content=b"{not json",
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
