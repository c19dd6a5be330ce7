from __future__ import annotations

import asyncio

import httpx

from frontdesk.core.db import Database, create_engine
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.tenants.settings import DEFAULT_NO_AGENT
from tests.conftest import TenantCtx
from tests.factories import SHIPPING_ANSWER, make_tenant, open_session, wait_for_messages


async def post(
    client: httpx.AsyncClient, sid: str, headers: dict[str, str], text: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": text}
    )


async def test_faq_question_gets_the_faq_answer(client: httpx.AsyncClient, tenant: TenantCtx):
    sid, headers = await open_session(client, tenant.slug)
    r = await post(client, sid, headers, "When will my order arrive?")
    assert r.status_code == 202
    message_id = r.json()["message_id"]

    messages = await wait_for_messages(client, sid, headers, 2)
    assert [m["sender"] for m in messages] == ["customer", "bot"]
    assert messages[0]["id"] == message_id
    assert messages[1]["text"] == SHIPPING_ANSWER
    assert messages[1]["reply_to_id"] == message_id
    assert messages[1]["meta"]["handler"] == "faq"

    r = await client.get(
        f"/api/v1/webchat/sessions/{sid}/messages", params={"after": message_id}, headers=headers
    )
    assert [m["sender"] for m in r.json()] == ["bot"]


async def test_unmatched_question_gets_fallback_and_flags_a_human(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    sid, headers = await open_session(client, tenant.slug)
    await post(client, sid, headers, "My blender exploded, I need to talk to someone")
    messages = await wait_for_messages(client, sid, headers, 2)
    assert messages[1]["meta"]["handler"] == "handoff"
    assert messages[1]["text"] == DEFAULT_NO_AGENT  # nobody is marked available

    r = await client.get(
        "/api/v1/conversations", params={"needs_human": True}, headers=tenant.headers
    )
    assert [c["status"] for c in r.json()] == ["waiting"]

    # A second unmatched message is recorded but the fallback is not repeated.
    await post(client, sid, headers, "Hello?? anyone about the blender")
    await post(client, sid, headers, "What is your return policy?")
    messages = await wait_for_messages(client, sid, headers, 5)
    assert [m["sender"] for m in messages] == ["customer", "bot", "customer", "customer", "bot"]
    assert messages[-1]["meta"]["handler"] == "faq"


async def test_messages_of_one_session_are_answered_in_order(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    sid, headers = await open_session(client, tenant.slug)
    texts = ["When will my order arrive?", "What is your return policy?"] * 5
    ids = [(await post(client, sid, headers, t)).json()["message_id"] for t in texts]
    messages = await wait_for_messages(client, sid, headers, 20)
    inbound = [m["id"] for m in messages if m["sender"] == "customer"]
    replies = [m["reply_to_id"] for m in messages if m["sender"] == "bot"]
    assert inbound == ids
    assert replies == ids


async def test_tenant_taken_from_session_not_from_input(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
):
    sid, headers = await open_session(client, tenant.slug)
    other_sid, _ = await open_session(client, other_tenant.slug)
    r = await client.get(f"/api/v1/webchat/sessions/{other_sid}/messages", headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


class TestBadInput:
    async def test_unknown_tenant_is_404(self, client: httpx.AsyncClient, tenant: TenantCtx):
        r = await client.post("/api/v1/webchat/no-such-tenant/sessions")
        assert r.status_code == 404
        assert r.json()["code"] == "not_found"

    async def test_wrong_token_is_401(self, client: httpx.AsyncClient, tenant: TenantCtx):
        sid, _ = await open_session(client, tenant.slug)
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
            r = await client.post(
                f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": "hi"}
            )
            assert r.status_code == 401
            assert r.headers["content-type"] == "application/problem+json"

    async def test_malformed_json_is_422(self, client: httpx.AsyncClient, tenant: TenantCtx):
        sid, headers = await open_session(client, tenant.slug)
        r = await client.post(
            f"/api/v1/webchat/sessions/{sid}/messages",
            headers={**headers, "content-type": "application/json"},
            content=b'{"text": ',
        )
        assert r.status_code == 422
        assert r.json()["code"] == "validation_error"

    async def test_invalid_utf8_is_400(self, client: httpx.AsyncClient, tenant: TenantCtx):
        sid, headers = await open_session(client, tenant.slug)
        r = await client.post(
            f"/api/v1/webchat/sessions/{sid}/messages",
            headers={**headers, "content-type": "application/json"},
            content=b'{"text": "\xff\xfe"}',
        )
        assert r.status_code == 400
        assert r.headers["content-type"] == "application/problem+json"

    async def test_empty_and_overlong_text_are_422(
        self, client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
    ):
        sid, headers = await open_session(client, tenant.slug)
        limit = runtime.settings.max_text_chars
        for body in (
            {"text": ""},
            {"text": "   \u0000 "},
            {"text": "x" * (limit + 1)},
            {},
            {"text": 5},
            {"text": "hi", "tenant_id": "other"},
        ):
            r = await client.post(
                f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json=body
            )
            assert r.status_code == 422, body
            assert r.headers["content-type"] == "application/problem+json"

    async def test_body_over_limit_is_413(
        self, client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
    ):
        sid, headers = await open_session(client, tenant.slug)
        big = b'{"text": "' + b"x" * runtime.settings.max_body_bytes + b'"}'
        r = await client.post(
            f"/api/v1/webchat/sessions/{sid}/messages",
            headers={**headers, "content-type": "application/json"},
            content=big,
        )
        assert r.status_code == 413
        assert r.json()["code"] == "payload_too_large"

        async def chunks():
            for _ in range(20):
                yield b"x" * (runtime.settings.max_body_bytes // 10)

        r = await client.post(
            f"/api/v1/webchat/sessions/{sid}/messages",
            headers={**headers, "content-type": "application/json"},
            content=chunks(),
        )
        assert r.status_code == 413

    async def test_wrong_content_type_is_415(self, client: httpx.AsyncClient, tenant: TenantCtx):
        sid, headers = await open_session(client, tenant.slug)
        r = await client.post(
            f"/api/v1/webchat/sessions/{sid}/messages",
            headers={**headers, "content-type": "text/plain"},
            content=b'{"text": "hi"}',
        )
        assert r.status_code == 415

    async def test_rejected_input_leaves_nothing_behind(
        self, client: httpx.AsyncClient, tenant: TenantCtx
    ):
        sid, headers = await open_session(client, tenant.slug)
        for content in (b'{"text": ', b'{"text": ""}', b'{"text": "\xff"}'):
            await client.post(
                f"/api/v1/webchat/sessions/{sid}/messages",
                headers={**headers, "content-type": "application/json"},
                content=content,
            )
        r = await client.get("/api/v1/queue/dead-letters", headers=tenant.headers)
        assert r.json() == []
        assert await wait_for_messages(client, sid, headers, 1, timeout=0.3) == []


async def test_flood_from_one_ip_is_429_while_other_tenants_are_served(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx, runtime: Runtime
):
    runtime.settings.public_rate_per_ip = 0.01  # no refill during the test: deterministic
    sid, headers = await open_session(client, tenant.slug)
    statuses = []
    for _ in range(runtime.settings.public_burst_per_ip + 5):
        r = await client.post(
            f"/api/v1/webchat/sessions/{sid}/messages",
            headers=headers,
            json={"text": "When will my order arrive?"},
        )
        statuses.append(r.status_code)
    burst = runtime.settings.public_burst_per_ip
    assert statuses == [202] * (burst - 1) + [429] * 6  # opening the session took one token
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["code"] == "rate_limited"
    # Reads from the flooding IP are limited too.
    r = await client.get(f"/api/v1/webchat/sessions/{sid}/messages", headers=headers)
    assert r.status_code == 429

    other_sid, other_headers = await open_session(client, other_tenant.slug)
    r = await client.post(
        f"/api/v1/webchat/sessions/{other_sid}/messages", headers=other_headers, json={"text": "hi"}
    )
    assert r.status_code == 202

    # The tenant's own API still sees everything the flooding IP got accepted.
    accepted = statuses.count(202)
    for _ in range(200):
        conversations = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
        if conversations:
            messages = (
                await client.get(
                    f"/api/v1/conversations/{conversations[0]['id']}/messages",
                    headers=tenant.headers,
                )
            ).json()
            if len(messages) == accepted * 2:
                break
        await asyncio.sleep(0.02)
    assert sum(1 for m in messages if m["sender"] == "customer") == accepted


async def test_stream_delivers_replies_live(live_url: str, settings: Settings):
    db = Database(create_engine(settings))
    await make_tenant(db, "acme")
    await db.dispose()
    async with httpx.AsyncClient(base_url=live_url, timeout=10) as client:
        sid, headers = await open_session(client, "acme")
        token = headers["Authorization"].split()[1]
        events: list[str] = []
        async with client.stream(
            "GET", f"/api/v1/webchat/sessions/{sid}/stream", params={"token": token}
        ) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            await client.post(
                f"/api/v1/webchat/sessions/{sid}/messages",
                headers=headers,
                json={"text": "When will my order arrive?"},
            )
            async for line in r.aiter_lines():
                if line.startswith("data: "):
                    events.append(line)
                if len(events) == 2:
                    break
    assert SHIPPING_ANSWER in events[1]


async def test_messages_are_understood_and_customers_see_no_internals(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    sid, headers = await open_session(client, tenant.slug)
    text = "This is terrible!! Mail me at angry@example.com"
    await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": text}
    )
    customer_view = await wait_for_messages(client, sid, headers, 2)
    assert all(set(m["meta"]) <= {"handler"} for m in customer_view)

    [conversation] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    inbound = (await client.get(url, headers=tenant.headers)).json()[0]
    analysis = inbound["meta"]["analysis"]
    assert analysis["sentiment"]["label"] == "negative"
    assert analysis["entities"][0]["value"] == "angry@example.com"
    assert (analysis["language"], analysis["language_assumed"], analysis["intent"]) == (
        "en", True, None)  # fmt: skip
