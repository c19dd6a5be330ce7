"""Channel management: create, list, get (masked), update, disable, delete, test-send."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from frontdesk.channels.models import Channel
from frontdesk.core.auth import Role
from frontdesk.runtime import Runtime
from tests.channels.conftest import PUBLIC_BASE
from tests.channels.fake_provider import FakeProvider
from tests.channels.helpers import create_channel
from tests.conftest import TenantCtx
from tests.factories import api_key


async def test_create_returns_webhook_url_and_generated_token(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    created = await create_channel(client, tenant, "whatsapp")
    assert created["webhook_url"] == f"{PUBLIC_BASE}/webhooks/acme/{created['id']}"
    assert len(created["verify_token"]) >= 32
    assert created["credentials"]["app_secret"] == "…"  # short secrets fully hidden
    assert "wa-app-secret" not in str(created["credentials"])
    # Stored encrypted, bound to the channel.
    async with runtime.db.tenant_session(tenant.id) as session:
        row = await session.scalar(select(Channel).where(Channel.id == created["id"]))
    assert row is not None and row.credentials and b"wa-app-secret" not in row.credentials


async def test_list_get_update_disable_delete(client: httpx.AsyncClient, tenant: TenantCtx):
    created = await create_channel(client, tenant, "telegram")
    listed = (await client.get("/api/v1/channels", headers=tenant.headers)).json()
    assert {c["type"] for c in listed} == {"webchat", "telegram"}
    one = (await client.get(f"/api/v1/channels/{created['id']}", headers=tenant.headers)).json()
    assert one["credentials"]["bot_token"] == "…" and one["credentials"]["secret_token"].startswith(
        "…"
    )
    assert created["verify_token"] not in str(one)
    r = await client.patch(
        f"/api/v1/channels/{created['id']}",
        headers=tenant.headers,
        json={"name": "Support bot", "credentials": {"bot_token": "987654:NEW-TOKEN-VALUE-LONG"}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Support bot"
    assert r.json()["credentials"]["bot_token"] == "…LONG"
    r = await client.post(f"/api/v1/channels/{created['id']}/disable", headers=tenant.headers)
    assert r.json()["enabled"] is False
    r = await client.delete(f"/api/v1/channels/{created['id']}", headers=tenant.headers)
    assert r.status_code == 204
    r = await client.get(f"/api/v1/channels/{created['id']}", headers=tenant.headers)
    assert r.status_code == 404


async def test_bad_input(client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime):
    h = tenant.headers
    r = await client.post("/api/v1/channels", headers=h, json={"type": "fax", "name": "x"})
    assert r.status_code == 422 and "Unknown channel type" in r.json()["detail"]
    r = await client.post(
        "/api/v1/channels", headers=h, json={"type": "whatsapp", "name": "x", "credentials": {}}
    )
    assert r.status_code == 422
    assert set(r.json()["missing"]) == {
        "config.phone_number_id",
        "credentials.app_secret",
        "credentials.access_token",
    }
    r = await client.post(
        "/api/v1/channels", headers=h, json={"type": "slack", "name": "x", "extra": 1}
    )
    assert r.status_code == 422
    r = await client.post(
        "/api/v1/channels",
        headers=h,
        json={"type": "slack", "name": "x", "config": {"Bad Key": "v"}},
    )
    assert r.status_code == 422
    viewer = await api_key(runtime.db, tenant.id, Role.VIEWER)
    r = await client.post(
        "/api/v1/channels",
        headers={"Authorization": f"Bearer {viewer}"},
        json={"type": "telegram", "name": "x", "credentials": {"bot_token": "t"}},
    )
    assert r.status_code == 403
    r = await client.get("/api/v1/channels", headers={"Authorization": f"Bearer {viewer}"})
    assert r.status_code == 200


async def test_delete_refused_once_used(client: httpx.AsyncClient, tenant: TenantCtx):
    listed = (await client.get("/api/v1/channels", headers=tenant.headers)).json()
    webchat = listed[0]
    await client.post(f"/api/v1/webchat/{tenant.slug}/sessions")
    from tests.factories import open_session

    sid, headers = await open_session(client, tenant.slug)
    await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages", headers=headers, json={"text": "hi"}
    )
    r = await client.delete(f"/api/v1/channels/{webchat['id']}", headers=tenant.headers)
    assert r.status_code == 409 and "disable" in r.json()["detail"]


async def test_test_send_reaches_the_provider(
    client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    created = await create_channel(client, tenant, "whatsapp")
    r = await client.post(
        f"/api/v1/channels/{created['id']}/test-send",
        headers=tenant.headers,
        json={
            "to": "16505551234",
            "reply": {
                "text": "Pick",
                "buttons": [{"id": str(i), "title": f"Option {i}"} for i in range(4)],
            },
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["degradations"] == ["buttons_to_list"]
    (sent,) = fake.requests
    assert sent.path == "/106540352242922/messages"
    assert sent.headers["authorization"] == "Bearer wa-token"
    assert sent.json["interactive"]["type"] == "list"


async def test_test_send_provider_error_is_502(
    client: httpx.AsyncClient, tenant: TenantCtx, fake: FakeProvider
):
    from tests.channels.fake_provider import Scripted

    created = await create_channel(client, tenant, "slack")
    fake.script.append(Scripted(status=200, body={"ok": False, "error": "channel_not_found"}))
    r = await client.post(
        f"/api/v1/channels/{created['id']}/test-send",
        headers=tenant.headers,
        json={"to": "C1", "reply": {"text": "hi"}},
    )
    assert r.status_code == 502
    assert r.headers["content-type"] == "application/problem+json"
    assert "channel_not_found" in r.json()["detail"]
    assert "xoxb" not in r.text


async def test_types_name_each_adapters_required_fields(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    r = await client.get("/api/v1/channels/types", headers=tenant.headers)
    assert r.status_code == 200, r.text
    types = {t["type"]: t for t in r.json()}
    assert set(types) >= {"telegram", "whatsapp", "email", "slack", "twilio", "webchat"}
    assert types["telegram"]["required_credentials"] == ["bot_token"]
    assert types["telegram"]["generated_credential"] == "secret_token"
    assert types["whatsapp"]["required_config"] == ["phone_number_id"]
    assert types["webchat"]["webhook"] is False and types["telegram"]["webhook"] is True
    r = await client.get("/api/v1/channels/types")
    assert r.status_code == 401
