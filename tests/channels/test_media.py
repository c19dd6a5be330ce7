"""Inbound media: fetched after intake, capped, sniffed, encrypted, readable by members only."""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from sqlalchemy import select

from frontdesk.channels.files import sniff
from frontdesk.channels.models import ChannelMedia
from frontdesk.runtime import Runtime
from tests.channels import payloads
from tests.channels.fake_provider import JPEG, FakeProvider
from tests.channels.helpers import (
    create_channel,
    jobs_of,
    messages,
    path_of,
    raw_count,
    wait_until,
)
from tests.conftest import TenantCtx

FORM = "application/x-www-form-urlencoded"


async def media_rows(runtime: Runtime, tenant_id: str) -> list[ChannelMedia]:
    async with runtime.db.tenant_session(tenant_id) as session:
        return list(await session.scalars(select(ChannelMedia)))


async def settled(runtime: Runtime, tenant_id: str) -> list[ChannelMedia]:
    async def done() -> list[ChannelMedia]:
        rows = await media_rows(runtime, tenant_id)
        return rows if rows and all(r.status != "pending" for r in rows) else []

    rows: list[ChannelMedia] = await wait_until(done)
    return rows


async def post_meta(client: httpx.AsyncClient, channel: dict[str, Any], data: Any) -> None:
    body = payloads.dumps(data)
    r = await client.post(
        path_of(channel),
        content=body,
        headers=payloads.meta_headers(channel["secrets"]["app_secret"], body),
    )
    assert r.status_code == 200, r.text


def test_sniff():
    assert sniff(JPEG) == "image/jpeg"
    assert sniff(b"%PDF-1.7") == "application/pdf"
    assert sniff(b"\x00\x00\x00\x18ftypmp42") == "video/mp4"
    assert sniff(b"<html>") == "application/octet-stream"


async def test_whatsapp_image_is_fetched_encrypted_and_served_to_members_only(
    client: httpx.AsyncClient,
    tenant: TenantCtx,
    other_tenant: TenantCtx,
    runtime: Runtime,
    fake: FakeProvider,
):
    channel = await create_channel(client, tenant, "whatsapp")
    image = {"id": "1234567890", "mime_type": "image/png", "sha256": "x", "caption": "broken"}
    await post_meta(client, channel, payloads.whatsapp_message("image", image, "wamid.IMG"))
    (row,) = await settled(runtime, tenant.id)
    assert row.status == "stored" and row.mime_type == "image/jpeg"  # sniffed, not the claim
    lookup = [r for r in fake.requests if r.path == "/1234567890"][0]
    assert lookup.headers["authorization"] == "Bearer wa-token"
    r = await client.get(f"/api/v1/channels/media/{row.id}", headers=tenant.headers)
    assert r.json()["size"] == len(JPEG) + 100 and r.json()["kind"] == "image"
    r = await client.get(f"/api/v1/channels/media/{row.id}/content", headers=tenant.headers)
    assert r.status_code == 200 and r.content.startswith(JPEG)
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["x-content-type-options"] == "nosniff"
    async with runtime.db.tenant_session(tenant.id) as session:
        stored = await session.scalar(select(ChannelMedia.data))
    assert stored and JPEG not in stored  # encrypted at rest
    for path in (f"/api/v1/channels/media/{row.id}", f"/api/v1/channels/media/{row.id}/content"):
        assert (await client.get(path, headers=other_tenant.headers)).status_code == 404
        assert (await client.get(path)).status_code == 401


async def test_oversized_media_is_refused(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    runtime.settings.media_max_bytes = 4096
    wa = await create_channel(client, tenant, "whatsapp")
    document = {"id": "BIGDOC", "filename": "huge.pdf", "mime_type": "application/pdf"}
    await post_meta(client, wa, payloads.whatsapp_message("document", document, "wamid.BIG"))
    (row,) = await settled(runtime, tenant.id)
    assert row.status == "failed" and "over the limit of 4096" in (row.error or "")
    assert row.filename == "huge.pdf"
    r = await client.get(f"/api/v1/channels/media/{row.id}/content", headers=tenant.headers)
    assert r.status_code == 409 and "over the limit" in r.json()["detail"]


async def test_media_url_at_a_private_address_is_refused(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "messenger")
    private = {"url": "http://169.254.169.254/latest/meta-data"}
    message = {"mid": "m_priv", "attachments": [{"type": "image", "payload": private}]}
    await post_meta(client, channel, payloads.messenger_message(message))
    (row,) = await settled(runtime, tenant.id)
    assert row.status == "failed" and "non-public" in (row.error or "")
    assert not [r for r in fake.requests if "meta-data" in r.path]


async def post_email(
    client: httpx.AsyncClient,
    channel: dict[str, Any],
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    **fields: str,
) -> httpx.Response:
    signed = payloads.mailgun_fields("mg-signing-key", f"tok{time.time_ns()}", **fields)
    if files:  # a forward() route: the attachments come in the multipart body
        return await client.post(path_of(channel), data=signed, files=files)
    body, headers = urlencode(signed).encode(), {"Content-Type": FORM}
    return await client.post(path_of(channel), content=body, headers=headers)


async def inbound_content(runtime: Runtime, tenant_id: str) -> dict[str, Any]:
    async def recorded() -> list[Any]:
        return [m for m in await messages(runtime, tenant_id) if m.direction == "in"]

    (message,) = await wait_until(recorded)
    content: dict[str, Any] = message.content
    return content


async def test_email_attachments_posted_with_the_webhook_are_stored_at_intake(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "email")
    photo, invoice = JPEG + b"\0" * 50, b"%PDF-1.7\n" + b"x" * 200
    files = [
        ("attachment-1", ("photo.jpg", photo, "image/jpeg")),
        ("attachment-2", ("invoice.pdf", invoice, "application/octet-stream")),
    ]
    r = await post_email(client, channel, files, **{"attachment-count": "2"})
    assert r.status_code == 200, r.text
    rows = {row.filename: row for row in await media_rows(runtime, tenant.id)}
    assert {name: (r.status, r.kind, r.mime_type, r.size) for name, r in rows.items()} == {
        "photo.jpg": ("stored", "image", "image/jpeg", len(photo)),
        "invoice.pdf": ("stored", "document", "application/pdf", len(invoice)),  # sniffed
    }
    assert not await jobs_of(runtime, "channel.media")  # nothing left to fetch
    content = await inbound_content(runtime, tenant.id)
    assert content["kind"] == "text"
    named = [content["media"], *content["attachments"]]
    assert [(f["id"], f["filename"]) for f in named] == [
        (rows["photo.jpg"].id, "photo.jpg"),
        (rows["invoice.pdf"].id, "invoice.pdf"),
    ]
    got = await client.get(
        f"/api/v1/channels/media/{rows['invoice.pdf'].id}/content", headers=tenant.headers
    )
    assert got.status_code == 200 and got.content == invoice
    async with runtime.db.tenant_session(tenant.id) as session:
        stored = list(await session.scalars(select(ChannelMedia.data)))
    assert all(data and b"%PDF" not in data and JPEG not in data for data in stored)


async def test_email_attachments_kept_by_mailgun_are_fetched_with_the_api_key(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel = await create_channel(
        client,
        tenant,
        "email",
        credentials={"signing_key": "mg-signing-key", "api_key": "key-mailgun"},
    )
    listed = [
        {
            "url": f"{fake.url}/files/stored-attachment-0.jpg?size=10",
            "content-type": "image/jpeg",
            "name": "receipt.jpg",
            "size": len(JPEG) + 10,
        }
    ]
    r = await post_email(client, channel, attachments=orjson.dumps(listed).decode())
    assert r.status_code == 200, r.text
    (row,) = await settled(runtime, tenant.id)
    assert (row.status, row.filename, row.mime_type) == ("stored", "receipt.jpg", "image/jpeg")
    (download,) = [x for x in fake.requests if x.path.startswith("/files/stored-attachment")]
    assert (
        download.headers["authorization"]
        == "Basic " + base64.b64encode(b"api:key-mailgun").decode()
    )
    assert (await inbound_content(runtime, tenant.id))["media"]["id"] == row.id


async def test_an_oversized_email_attachment_fails_alone(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    runtime.settings.media_max_bytes = 4096
    channel = await create_channel(client, tenant, "email")
    files = [("attachment-1", ("scan.tiff", b"II*\0" + b"\0" * 5000, "image/tiff"))]
    r = await post_email(client, channel, files, **{"stripped-text": "", "body-plain": ""})
    assert r.status_code == 200, r.text
    (row,) = await media_rows(runtime, tenant.id)
    assert row.status == "failed" and "over the limit of 4096" in (row.error or "")
    content = await inbound_content(runtime, tenant.id)
    assert content["kind"] == "image" and content["media"]["id"] == row.id  # no text: the file


async def test_only_multipart_webhooks_take_the_larger_body_limit(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    email = await create_channel(client, tenant, "email")
    big = b"%PDF-1.7\n" + b"x" * (runtime.settings.max_body_bytes + 1)
    files = [("attachment-1", ("manual.pdf", big, "application/pdf"))]
    assert (await post_email(client, email, files)).status_code == 200
    whatsapp = await create_channel(client, tenant, "whatsapp")
    r = await client.post(
        path_of(whatsapp), content=b" " * len(big), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_a_malformed_attachments_list_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "email")
    for listed in ("not json", '{"url": "x"}', '["x"]'):
        r = await post_email(client, channel, attachments=listed)
        assert r.status_code == 400 and "attachments" in r.json()["detail"]
    assert await raw_count(runtime, tenant.id) == 0


async def test_each_file_of_an_email_without_text_keeps_its_own_kind(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeProvider
):
    channel = await create_channel(client, tenant, "email")
    files = [
        ("attachment-1", ("photo.jpg", JPEG + b"\0" * 10, "image/jpeg")),
        ("attachment-2", ("invoice.pdf", b"%PDF-1.7\n", "application/pdf")),
    ]
    text = {"stripped-text": "", "body-plain": ""}
    assert (await post_email(client, channel, files, **text)).status_code == 200
    rows = await media_rows(runtime, tenant.id)
    assert {row.filename: row.kind for row in rows} == {
        "photo.jpg": "image",
        "invoice.pdf": "document",
    }
    assert (await inbound_content(runtime, tenant.id))["kind"] == "image"
