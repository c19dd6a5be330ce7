"""Channel management routes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from frontdesk.channels import files, service
from frontdesk.channels.directory import decrypt_credentials
from frontdesk.channels.files import media_aad
from frontdesk.channels.outbound import send_now
from frontdesk.channels.registry import ADAPTERS, in_app
from frontdesk.channels.schemas import (
    ChannelCreate,
    ChannelCreated,
    ChannelPublic,
    ChannelType,
    ChannelUpdate,
    MediaPublic,
    TestSend,
    TestSendResult,
)
from frontdesk.core.auth import Principal
from frontdesk.core.deps import RuntimeDep, SessionDep, require
from frontdesk.core.errors import Conflict, NotFound, ValidationFailed
from frontdesk.runtime import Runtime

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])
Reader = Annotated[Principal, Depends(require("channels:read"))]
Writer = Annotated[Principal, Depends(require("channels:write"))]
MediaReader = Annotated[Principal, Depends(require("conversations:read"))]
MediaWriter = Annotated[Principal, Depends(require("conversations:write"))]
links = APIRouter(prefix="/media", tags=["channels"])
MEDIA_UPLOAD_PATH = re.compile(r"^/api/v1/channels/media$")


def base_url(runtime: Runtime, request: Request) -> str:
    """The public URL of this server: configured, or the one the request came in on."""
    return runtime.settings.public_base_url or str(request.base_url)


@router.post("", response_model=ChannelCreated, status_code=201)
async def create_channel(
    data: ChannelCreate, request: Request, principal: Writer, runtime: RuntimeDep
) -> ChannelCreated:
    """Connect a channel; the answer holds its webhook URL and any secret generated for it."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        channel, credentials, generated = await service.create_channel(
            session, runtime.keyring, principal.tenant_id, data
        )
    view = service.public(channel, credentials, base_url(runtime, request), principal.tenant_slug)
    return ChannelCreated(**view.model_dump(), verify_token=generated)


@router.get("", response_model=list[ChannelPublic])
async def list_channels(
    request: Request, session: SessionDep, principal: Reader, runtime: RuntimeDep
) -> list[ChannelPublic]:
    """Every channel of the tenant, credentials masked."""
    url = base_url(runtime, request)
    return [
        service.public(
            channel,
            await decrypt_credentials(session, runtime.keyring, channel),
            url,
            principal.tenant_slug,
        )
        for channel in await service.list_channels(session, principal.tenant_id)
    ]


@router.get("/types", response_model=list[ChannelType])
async def list_types(principal: Reader) -> list[ChannelType]:
    """Every channel type with the config and credential fields connecting it requires."""
    return [
        ChannelType(
            type=name,
            required_config=list(adapter.required_config),
            required_credentials=list(adapter.required_credentials),
            generated_credential=adapter.generated_credential,
            webhook=not in_app(name),
        )
        for name, adapter in sorted(ADAPTERS.items())
    ]


@router.get("/{channel_id}", response_model=ChannelPublic)
async def get_channel(
    channel_id: str, request: Request, session: SessionDep, principal: Reader, runtime: RuntimeDep
) -> ChannelPublic:
    """One channel, credentials masked."""
    channel = await service.get_channel(session, principal.tenant_id, channel_id)
    credentials = await decrypt_credentials(session, runtime.keyring, channel)
    return service.public(channel, credentials, base_url(runtime, request), principal.tenant_slug)


@router.patch("/{channel_id}", response_model=ChannelPublic)
async def update_channel(
    channel_id: str, data: ChannelUpdate, request: Request, principal: Writer, runtime: RuntimeDep
) -> ChannelPublic:
    """Rename, reconfigure, replace credentials, enable or disable."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        channel = await service.get_channel(session, principal.tenant_id, channel_id)
        credentials = await service.update_channel(session, runtime.keyring, channel, data)
    runtime.channels.forget(channel_id)
    return service.public(channel, credentials, base_url(runtime, request), principal.tenant_slug)


@router.post("/{channel_id}/disable", response_model=ChannelPublic)
async def disable_channel(
    channel_id: str, request: Request, principal: Writer, runtime: RuntimeDep
) -> ChannelPublic:
    """Stop accepting webhooks and sending on this channel."""
    return await update_channel(
        channel_id, ChannelUpdate(enabled=False), request, principal, runtime
    )


@router.delete("/{channel_id}", status_code=204)
async def delete_channel(channel_id: str, principal: Writer, runtime: RuntimeDep) -> Response:
    """Delete a channel that never carried a conversation (disable it otherwise)."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        channel = await service.get_channel(session, principal.tenant_id, channel_id)
        await service.delete_channel(session, channel)
    runtime.channels.forget(channel_id)
    return Response(status_code=204)


@router.post("/media", response_model=MediaPublic, status_code=201)
async def upload_media(
    request: Request,
    principal: MediaWriter,
    runtime: RuntimeDep,
    filename: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
) -> object:
    """Store a file to send (the raw body; its type is sniffed): replies name it by its id."""
    content = await request.body()
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or "upload"
    return await files.store_upload(runtime, principal.tenant_id, content, name)


@router.get("/media/{media_id}", response_model=MediaPublic)
async def get_media(media_id: str, session: SessionDep, principal: MediaReader) -> object:
    """What is known of a file a customer sent: its sniffed type, size, and fetch status."""
    return await service.get_media(session, principal.tenant_id, media_id)


@router.get("/media/{media_id}/content")
async def get_media_content(
    media_id: str, session: SessionDep, principal: MediaReader, runtime: RuntimeDep
) -> Response:
    """The file itself (decrypted), for members of the tenant only."""
    row = await service.get_media(session, principal.tenant_id, media_id, with_data=True)
    if row.status != "stored" or row.data is None:
        raise Conflict(f"This file is {row.status}" + (f": {row.error}" if row.error else ""))
    data = await runtime.keyring.decrypt(session, row.tenant_id, row.data, media_aad(row.id))
    return _file(data, row.mime_type, "attachment", "private, no-store")


@router.post("/{channel_id}/test-send", response_model=TestSendResult)
async def test_send(
    channel_id: str, data: TestSend, principal: Writer, runtime: RuntimeDep
) -> TestSendResult:
    """Send a message now through the provider, to check the channel's setup."""
    channel = await runtime.channels.get(principal.tenant_id, channel_id)
    if not channel.enabled:
        raise ValidationFailed("This channel is disabled")
    ids, steps = await send_now(runtime, channel, data.reply, data.to, data.to, {})
    return TestSendResult(provider_message_ids=ids, degradations=steps)


@links.get("/{media_id}", include_in_schema=False)
async def linked_media(
    media_id: str,
    runtime: RuntimeDep,
    expires: Annotated[int, Query()] = 0,
    signature: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """A file we send, for the provider that fetches it by its signed link (no account)."""
    if len(media_id) > 36 or not files.link_is_valid(runtime, media_id, expires, signature):
        raise NotFound("No such file")
    async with runtime.db.system_session() as session:
        row, sealed = await service.stored_media(session, media_id)
        data = await runtime.keyring.decrypt(session, row.tenant_id, sealed, media_aad(row.id))
    return _file(data, row.mime_type, "inline", "private, max-age=300")


def _file(data: bytes, mime_type: str | None, disposition: str, cache: str) -> Response:
    """A stored file's bytes, never sniffed by the browser."""
    return Response(
        data,
        media_type=mime_type or "application/octet-stream",
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": cache,
        },
    )
