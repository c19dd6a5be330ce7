"""Files members send: uploads, replies that carry them, and the signed links providers fetch."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from frontdesk.channels.canonical import OutboundMedia
from frontdesk.channels.files import FileUnavailable, link_is_valid, signed_link, signed_path
from frontdesk.core.auth import Role
from frontdesk.runtime import Runtime
from tests.channels import payloads
from tests.channels.conftest import PUBLIC_BASE
from tests.channels.fake_provider import FakeProvider
from tests.channels.helpers import create_channel, path_of, telegram_headers
from tests.conftest import TenantCtx
from tests.factories import login, make_member, open_session, wait_for_messages

PDF = b"%PDF-1.7\n" + b"invoice " * 40


async def upload(client: httpx.AsyncClient, headers: dict[str, str], body: bytes) -> httpx.Response:
    return await client.post(
        "/api/v1/channels/media",
        params={"filename": "../invoice.pdf"},
        content=body,
        headers=headers,
    )


def local(url: str) -> str:
    """A link as this test's client calls it (the path and query after the public base)."""
    return url.removeprefix(PUBLIC_BASE)


async def test_an_upload_is_stored_encrypted_with_its_sniffed_type(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx, runtime: Runtime
):
    r = await upload(client, tenant.headers, PDF)
    assert r.status_code == 201, r.text
    media = r.json()
    assert (media["kind"], media["mime_type"], media["filename"]) == (
        "document",
        "application/pdf",
        "invoice.pdf",  # no path
    )
    assert media["raw_message_id"] is None and media["size"] == len(PDF)
    content = f"/api/v1/channels/media/{media['id']}/content"
    assert (await client.get(content, headers=tenant.headers)).content == PDF
    assert (await client.get(content, headers=other_tenant.headers)).status_code == 404
    assert (await upload(client, tenant.headers, b"")).status_code == 422


async def test_an_upload_needs_the_right_to_write_conversations_and_a_size_under_the_cap(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    await make_member(runtime.db, tenant.id, "viewer@shop.example", Role.VIEWER)
    viewer = await login(client, tenant.slug, "viewer@shop.example")
    assert (await upload(client, viewer, PDF)).status_code == 403
    too_big = b"%PDF" + b"x" * runtime.settings.media_max_bytes
    r = await upload(client, tenant.headers, too_big)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"


async def test_an_agent_sends_an_uploaded_file_by_a_signed_link(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "telegram")
    body = payloads.dumps(payloads.telegram_text())
    r = await client.post(path_of(channel), content=body, headers=telegram_headers(channel))
    assert r.status_code == 200
    await fake.await_for(1)  # the bot's answer
    [conversation] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
    await make_member(runtime.db, tenant.id, "agent@shop.example", Role.AGENT)
    agent = await login(client, tenant.slug, "agent@shop.example")
    media_id = (await upload(client, agent, PDF)).json()["id"]
    url = f"/api/v1/conversations/{conversation['id']}"
    assert (await client.post(f"{url}/claim", headers=agent)).status_code == 200
    reply = {"text": "Your invoice", "media_id": media_id}
    assert (await client.post(f"{url}/reply", headers=agent, json=reply)).status_code == 201

    await fake.await_for(3)  # the bot's answer, then the file and its text
    (sent,) = [r for r in fake.requests if r.path.endswith("/sendDocument")]
    link = sent.json["document"]
    assert link.startswith(f"{PUBLIC_BASE}/media/{media_id}?expires=")
    fetched = await client.get(local(link))  # as the provider fetches it: no account
    assert fetched.status_code == 200 and fetched.content == PDF
    assert fetched.headers["content-type"] == "application/pdf"
    assert fetched.headers["x-content-type-options"] == "nosniff"
    query = parse_qs(urlsplit(link).query)
    later, signature = int(query["expires"][0]) + 60, query["signature"][0]
    forged = f"/media/{media_id}?expires={later}&signature={signature}"
    for wrong in (forged, f"/media/{media_id}", f"/media/{media_id}?expires=1&signature=00"):
        assert (await client.get(wrong)).status_code == 404


async def test_a_reply_naming_an_unknown_file_is_refused(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    channel = await create_channel(client, tenant, "telegram")
    r = await client.post(
        f"/api/v1/channels/{channel['id']}/test-send",
        headers=tenant.headers,
        json={"to": "1111111", "reply": {"media": {"kind": "image", "media_id": "nope"}}},
    )
    assert r.status_code == 409 and "unknown" in r.json()["detail"]


async def test_a_webchat_reply_carries_a_link_the_widget_loads(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    sid, customer = await open_session(client, tenant.slug)
    r = await client.post(
        f"/api/v1/webchat/sessions/{sid}/messages", headers=customer, json={"text": "My invoice?"}
    )
    assert r.status_code == 202, r.text
    await wait_for_messages(client, sid, customer, 2)  # the question and the bot's answer
    [conversation] = (await client.get("/api/v1/conversations", headers=tenant.headers)).json()
    media_id = (await upload(client, tenant.headers, PDF)).json()["id"]
    url = f"/api/v1/conversations/{conversation['id']}"
    await make_member(runtime.db, tenant.id, "agent@shop.example", Role.AGENT)
    agent = await login(client, tenant.slug, "agent@shop.example")
    assert (await client.post(f"{url}/claim", headers=agent)).status_code == 200
    r = await client.post(f"{url}/reply", headers=agent, json={"media_id": media_id})
    assert r.status_code == 201, r.text
    *_, seen = await wait_for_messages(client, sid, customer, 3)
    media = seen["content"]["media"]
    assert media["filename"] == "invoice.pdf" and media["url"].startswith(f"/media/{media_id}?")
    assert (await client.get(media["url"])).content == PDF


def test_links_expire_and_need_a_public_base_url(runtime: Runtime) -> None:
    path = signed_path(runtime, "m1", now=1000)
    query = parse_qs(urlsplit(path).query)
    expires, signature = int(query["expires"][0]), query["signature"][0]
    assert link_is_valid(runtime, "m1", expires, signature, now=expires - 1)
    assert not link_is_valid(runtime, "m1", expires, signature, now=expires + 1)
    assert not link_is_valid(runtime, "m2", expires, signature, now=expires - 1)
    runtime.settings.public_base_url = None
    with pytest.raises(FileUnavailable):
        signed_link(runtime, "m1")
    with pytest.raises(ValueError):
        OutboundMedia(kind="image")
