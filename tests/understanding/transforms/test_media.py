"""Files read right after they are stored, before their message is processed; the API view."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from sqlalchemy import select

from frontdesk.channels.models import ChannelMedia
from frontdesk.conversations.models import Message
from frontdesk.queue.models import Job
from frontdesk.runtime import Runtime
from frontdesk.understanding.transforms import message_text
from tests.channels import payloads
from tests.channels.helpers import create_channel, path_of, wait_until
from tests.conftest import TenantCtx
from tests.llm.conftest import configure, openai_entry
from tests.llm.fake_provider import Reply
from tests.understanding.transforms.conftest import png_with
from tests.understanding.transforms.fake_audio import FakeAudioProvider

TEXT = "Invoice 2024-117 total 89 EUR"
VOICE = b"OggS\x00\x02" + b"\x01" * 3000
MAILGUN = {"signing_key": "mg-signing-key", "api_key": "key-mailgun"}


async def post_email(
    client: httpx.AsyncClient,
    channel: dict[str, Any],
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    **fields: str,
) -> None:
    """An e-mail with no text of its own unless ``fields`` give it some."""
    fields = {"stripped-text": "", "body-plain": "", **fields}
    signed = payloads.mailgun_fields("mg-signing-key", f"tok{time.time_ns()}", **fields)
    if files:
        r = await client.post(path_of(channel), data=signed, files=files)
    else:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        r = await client.post(path_of(channel), content=urlencode(signed).encode(), headers=form)
    assert r.status_code == 200, r.text


async def processed(runtime: Runtime, tenant_id: str) -> Message:
    """The inbound message, once the pipeline recorded it."""

    async def recorded() -> list[Message]:
        async with runtime.db.tenant_session(tenant_id) as session:
            return list(await session.scalars(select(Message).where(Message.direction == "in")))

    (message,) = await wait_until(recorded, timeout=30.0)
    return message


async def the_media(runtime: Runtime, tenant_id: str) -> ChannelMedia:
    async with runtime.db.tenant_session(tenant_id) as session:
        (row,) = (await session.scalars(select(ChannelMedia))).all()
    return row


async def jobs_by_kind(runtime: Runtime) -> dict[str, Job]:
    async with runtime.db.system_session() as session:
        return {job.kind: job for job in await session.scalars(select(Job))}


async def text_of(runtime: Runtime, tenant_id: str, raw_message_id: str) -> str | None:
    async with runtime.db.tenant_session(tenant_id) as session:
        return await message_text(session, tenant_id, raw_message_id)


def ran_first(first: Job, then: Job) -> bool:
    """Both done, in one conversation's turn, ``first`` before ``then``."""
    assert first.ordering_key and first.ordering_key == then.ordering_key
    assert first.status == then.status == "done"
    assert first.finished_at and then.finished_at
    return first.id < then.id and first.finished_at <= then.finished_at


async def test_an_image_posted_with_the_webhook_is_read_before_its_message_is_processed(
    client: httpx.AsyncClient,
    tenant: TenantCtx,
    other_tenant: TenantCtx,
    runtime: Runtime,
    fake: FakeAudioProvider,
):
    channel = await create_channel(client, tenant, "email")
    await post_email(client, channel, [("attachment-1", ("scan.png", png_with(TEXT), "image/png"))])
    message = await processed(runtime, tenant.id)
    jobs = await jobs_by_kind(runtime)
    assert ran_first(jobs["media.transform"], jobs["message.process"])
    row = await the_media(runtime, tenant.id)
    assert (row.transform, row.transform_status, row.transform_error) == ("ocr", "done", None)
    assert row.extracted_text == TEXT
    assert await text_of(runtime, tenant.id, message.id) == TEXT
    assert await text_of(runtime, other_tenant.id, message.id) is None

    path = f"/api/v1/channels/media/{row.id}/transform"
    r = await client.get(path, headers=tenant.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "media_id": row.id,
        "kind": "image",
        "file_status": "stored",
        "transform": "ocr",
        "status": "done",
        "error": None,
        "text": TEXT,
    }
    r = await client.get(path, headers=other_tenant.headers)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(path)).status_code == 401
    missing = "/api/v1/channels/media/00000000-0000-7000-8000-000000000000/transform"
    assert (await client.get(missing, headers=tenant.headers)).status_code == 404


async def test_a_message_with_its_own_text_keeps_it_and_unreadable_files_are_skipped(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeAudioProvider
):
    channel = await create_channel(client, tenant, "email")
    archive = b"PK\x03\x04" + b"\0" * 100
    files = [("attachment-1", ("logs.zip", archive, "application/zip"))]
    await post_email(client, channel, files, **{"stripped-text": "See the attached logs"})
    message = await processed(runtime, tenant.id)
    row = await the_media(runtime, tenant.id)
    assert (row.transform, row.transform_status) == (None, "skipped")
    assert row.transform_error == "no_transform: nothing reads a document file"
    assert await text_of(runtime, tenant.id, message.id) is None


async def test_fetched_audio_is_transcribed_by_the_fetch_job_in_the_conversations_turn(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeAudioProvider
):
    await configure(runtime, tenant.id, providers=[openai_entry(fake, "speech", "sk-audio-2")])
    fake.script("speech", Reply.ok("Where is my parcel?"))
    fake.files["voice.ogg"] = VOICE
    channel = await create_channel(client, tenant, "email", credentials=MAILGUN)
    listed = [
        {
            "url": f"{fake.url}/files/voice.ogg",
            "content-type": "audio/ogg",
            "name": "voice.ogg",
            "size": len(VOICE),
        }
    ]
    await post_email(client, channel, attachments=orjson.dumps(listed).decode())
    message = await processed(runtime, tenant.id)
    jobs = await jobs_by_kind(runtime)
    assert ran_first(jobs["channel.media"], jobs["message.process"])
    assert "media.transform" not in jobs  # the fetch job read what it fetched
    row = await the_media(runtime, tenant.id)
    assert (row.status, row.transform, row.transform_status) == ("stored", "transcript", "done")
    assert row.extracted_text == "Where is my parcel?"
    assert await text_of(runtime, tenant.id, message.id) == "Where is my parcel?"
    (call,) = fake.received("speech")
    assert call.body["file"]["data"] == VOICE and call.body["file"]["filename"] == "voice.ogg"


async def test_a_fetched_file_that_cannot_be_read_says_why_and_its_message_goes_on(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeAudioProvider
):
    fake.files["photo.jpg"] = b"\xff\xd8\xff\xe0" + b"\0" * 500  # a JPEG's first bytes only
    fake.files["voice.ogg"] = VOICE
    channel = await create_channel(client, tenant, "email", credentials=MAILGUN)
    listed = [
        {"url": f"{fake.url}/files/{name}", "content-type": mime, "name": name, "size": 10}
        for name, mime in (("photo.jpg", "image/jpeg"), ("voice.ogg", "audio/ogg"))
    ]
    await post_email(client, channel, attachments=orjson.dumps(listed).decode())
    message = await processed(runtime, tenant.id)
    async with runtime.db.tenant_session(tenant.id) as session:
        rows = {r.filename: r for r in await session.scalars(select(ChannelMedia))}
    photo, voice = rows["photo.jpg"], rows["voice.ogg"]
    assert (photo.transform, photo.transform_status) == ("ocr", "failed")
    assert (photo.transform_error or "").startswith("not_an_image: ")
    assert (voice.transform, voice.transform_status) == ("transcript", "not_configured")
    assert await text_of(runtime, tenant.id, message.id) is None
    r = await client.get(f"/api/v1/channels/media/{voice.id}/transform", headers=tenant.headers)
    assert r.json()["status"] == "not_configured" and r.json()["text"] is None


async def test_the_bot_answers_what_a_photo_says(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, fake: FakeAudioProvider
):
    channel = await create_channel(client, tenant, "email")
    photo = png_with("When will my order arrive?", size=(1200, 160))
    await post_email(client, channel, [("attachment-1", ("question.png", photo, "image/png"))])
    message = await processed(runtime, tenant.id)
    assert message.text == ""  # the customer's own words: none
    assert message.meta["extracted_text"] == "When will my order arrive?"
    assert message.meta["analysis"]["intent"] is None  # no model: analysed all the same

    async def answered() -> list[Message]:
        async with runtime.db.tenant_session(tenant.id) as session:
            return list(await session.scalars(select(Message).where(Message.direction == "out")))

    (reply,) = await wait_until(answered, timeout=30.0)
    assert reply.meta["handler"] == "faq"
    assert reply.text == "Standard shipping takes 3-5 business days."
