"""Inbound media: fetched after intake, capped, sniffed, encrypted, readable by members only."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from frontdesk.channels.media import sniff
from frontdesk.channels.models import ChannelMedia
from frontdesk.runtime import Runtime
from tests.channels import payloads
from tests.channels.fake_provider import JPEG, FakeProvider
from tests.channels.helpers import create_channel, path_of, wait_until
from tests.conftest import TenantCtx


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
    event = {
        "sender": {"id": "PSID1"},
        "recipient": {"id": "PAGE"},
        "timestamp": 1,
        "message": {
            "mid": "m_priv",
            "attachments": [
                {"type": "image", "payload": {"url": "http://169.254.169.254/latest/meta-data"}}
            ],
        },
    }
    await post_meta(
        client, channel, {"object": "page", "entry": [{"id": "P", "messaging": [event]}]}
    )
    (row,) = await settled(runtime, tenant.id)
    assert row.status == "failed" and "non-public" in (row.error or "")
    assert not [r for r in fake.requests if "meta-data" in r.path]
