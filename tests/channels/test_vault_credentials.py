"""Channel secrets kept in the vault: verified, sent with, rotated, revoked, audited."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from frontdesk.channels import directory
from frontdesk.runtime import Runtime
from tests.channels import payloads
from tests.channels.fake_provider import FakeProvider
from tests.channels.helpers import create_channel, messages, path_of, raw_count, wait_until
from tests.conftest import TenantCtx
from tests.logs import capture_log
from tests.vault.helpers import audit_rows, create, revoke, rotate, usage

APP_SECRET = "wa-app-secret-from-the-vault-01"
ACCESS_TOKEN = "wa-access-token-from-the-vault-02"
NEW_APP_SECRET = "wa-app-secret-rotated-in-vault-03"


async def whatsapp_from_vault(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> tuple[dict[str, Any], str, str]:
    """A WhatsApp channel whose app secret and access token are vault credentials."""
    secret = await create(client, tenant, "webhook_secret", value={"secret": APP_SECRET})
    token = await create(client, tenant, "api_key", value={"key": ACCESS_TOKEN})
    channel = await create_channel(
        client,
        tenant,
        "whatsapp",
        credentials={},
        vault_credentials={
            "app_secret": {"credential_id": secret["id"]},
            "access_token": {"credential_id": token["id"]},
        },
    )
    return channel, secret["id"], token["id"]


async def post(
    client: httpx.AsyncClient, channel: dict[str, Any], secret: str, msg_id: str = "wamid.V1"
) -> httpx.Response:
    body = payloads.dumps(payloads.whatsapp_text(msg_id))
    return await client.post(
        path_of(channel), content=body, headers=payloads.meta_headers(secret, body)
    )


async def test_vault_secrets_verify_webhooks_and_authorize_sends(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel, secret_id, token_id = await whatsapp_from_vault(client, tenant)
    assert list(channel["credentials"]) == ["verify_token"]  # generated, kept with the channel
    assert channel["vault_credentials"] == {
        "access_token": {"credential_id": token_id, "field": "key"},
        "app_secret": {"credential_id": secret_id, "field": "secret"},
    }
    assert (await post(client, channel, "some-other-secret-000")).status_code == 401
    r = await post(client, channel, APP_SECRET)
    assert r.status_code == 200, r.text
    (sent,) = await fake.await_for(1)
    assert sent.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"

    for credential_id in (secret_id, token_id):
        refs = (await usage(client, tenant, credential_id))["references"]
        assert [(r["kind"], r["ref_id"]) for r in refs] == [("channel", channel["id"])]
        assert refs[0]["use_count"] == 1
        (decrypt,) = await audit_rows(client, tenant, credential_id, "decrypt")
        assert decrypt["service"] == "channels"
        assert decrypt["reason"] == f"channel {channel['id']}"
    shown = await client.get(f"/api/v1/channels/{channel['id']}", headers=tenant.headers)
    assert APP_SECRET not in shown.text and ACCESS_TOKEN not in shown.text


async def test_a_rotation_is_picked_up_and_each_version_decrypted_once(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    channel, secret_id, _ = await whatsapp_from_vault(client, tenant)
    for n in range(3):  # reloads of the same version: revealed once
        runtime.channels.forget(channel["id"])
        assert (await post(client, channel, APP_SECRET, f"wamid.A{n}")).status_code == 200
    r = await rotate(client, tenant, secret_id, {"secret": NEW_APP_SECRET})
    assert r.status_code == 200, r.text
    runtime.channels.forget(channel["id"])
    assert (await post(client, channel, APP_SECRET, "wamid.B1")).status_code == 401
    assert (await post(client, channel, NEW_APP_SECRET, "wamid.B2")).status_code == 200
    assert len(await audit_rows(client, tenant, secret_id, "decrypt")) == 2


async def test_a_revoked_secret_makes_webhooks_503_and_stores_nothing(
    client: httpx.AsyncClient,
    tenant: TenantCtx,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
):
    rendered = capture_log(monkeypatch, directory)
    channel, secret_id, _ = await whatsapp_from_vault(client, tenant)
    revoked = await revoke(client, tenant, secret_id)
    (dependent,) = revoked.json()["dependents"]
    assert (dependent["kind"], dependent["ref_id"]) == ("channel", channel["id"])
    for _ in range(2):  # logged once, not at every reload
        runtime.channels.forget(channel["id"])
        r = await post(client, channel, APP_SECRET)
    assert rendered.getvalue().count("channel_credentials_unavailable") == 1
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "channel_credentials_unavailable"
    assert f"app_secret is unavailable: vault credential {secret_id}" in r.json()["detail"]
    assert APP_SECRET not in r.text
    assert await raw_count(runtime, tenant.id) == 0


async def test_a_revoked_token_keeps_intake_and_fails_the_send_with_its_reason(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel, _, token_id = await whatsapp_from_vault(client, tenant)
    assert (await revoke(client, tenant, token_id)).status_code == 200
    runtime.channels.forget(channel["id"])
    assert (await post(client, channel, APP_SECRET)).status_code == 200

    async def failed() -> list[Any]:
        out = [m for m in await messages(runtime, tenant.id) if m.direction == "out"]
        return [m for m in out if m.status == "failed"]

    (reply,) = await wait_until(failed)
    assert f"access_token is unavailable: vault credential {token_id}" in reply.meta["error"]
    assert await raw_count(runtime, tenant.id) == 1  # the customer's message is kept
    assert fake.requests == []
    test_send = await client.post(
        f"/api/v1/channels/{channel['id']}/test-send",
        headers=tenant.headers,
        json={"to": "16505551234", "reply": {"text": "hello"}},
    )
    assert test_send.status_code == 503


async def test_vault_fields_that_cannot_work_are_refused(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
):
    key = await create(client, tenant, "api_key")
    tls = await create(client, tenant, "tls")
    foreign = await create(client, other_tenant, "api_key")
    revoked = await create(client, tenant, "api_key", suffix=2)
    await revoke(client, tenant, revoked["id"])
    cases: list[tuple[dict[str, Any], dict[str, Any], int, str]] = [
        ({"credential_id": "01-no-such-credential"}, {}, 409, "does not exist"),
        ({"credential_id": foreign["id"]}, {}, 409, "does not exist"),
        ({"credential_id": revoked["id"]}, {}, 409, "is revoked"),
        ({"credential_id": tls["id"]}, {}, 422, "has no main one"),
        ({"credential_id": key["id"], "field": "probe_url"}, {}, 422, "no text field"),
        ({"credential_id": key["id"]}, {"bot_token": "123:abc"}, 422, "not both"),
    ]
    for ref, inline, status, detail in cases:
        r = await client.post(
            "/api/v1/channels",
            headers=tenant.headers,
            json={
                "type": "telegram",
                "name": "tg",
                "credentials": inline,
                "vault_credentials": {"bot_token": ref},
            },
        )
        assert r.status_code == status, (ref, r.text)
        assert detail in r.json()["detail"]
    listed = await client.get("/api/v1/channels", headers=tenant.headers)
    assert [c["type"] for c in listed.json() if c["type"] == "telegram"] == []
    assert (await usage(client, tenant, key["id"]))["references"] == []


async def test_a_field_moves_between_the_channel_and_the_vault(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    key = await create(client, tenant, "api_key")
    channel = await create_channel(client, tenant, "telegram")
    url = f"/api/v1/channels/{channel['id']}"
    r = await client.patch(
        url,
        headers=tenant.headers,
        json={"vault_credentials": {"bot_token": {"credential_id": key["id"]}}},
    )
    assert r.status_code == 200, r.text
    assert "bot_token" not in r.json()["credentials"]
    assert r.json()["vault_credentials"]["bot_token"]["credential_id"] == key["id"]
    assert len((await usage(client, tenant, key["id"]))["references"]) == 1

    r = await client.patch(url, headers=tenant.headers, json={"credentials": {"bot_token": "1:x"}})
    assert r.status_code == 200, r.text
    assert r.json()["vault_credentials"] == {}
    assert set(r.json()["credentials"]) == {"bot_token", "secret_token"}
    assert (await usage(client, tenant, key["id"]))["references"] == []

    missing = await client.patch(
        url, headers=tenant.headers, json={"vault_credentials": {"bot_token": None}}
    )
    assert missing.status_code == 422
    assert "credentials.bot_token" in missing.json()["detail"]

    await client.patch(
        url,
        headers=tenant.headers,
        json={"vault_credentials": {"bot_token": {"credential_id": key["id"]}}},
    )
    assert (await client.delete(url, headers=tenant.headers)).status_code == 204
    assert (await usage(client, tenant, key["id"]))["references"] == []
