"""Channel lookups and management."""

from __future__ import annotations

import secrets
from typing import Any

import orjson
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from frontdesk.channels.directory import ChannelInfo, credentials_aad, decrypt_credentials
from frontdesk.channels.models import Channel, ChannelMedia
from frontdesk.channels.registry import adapter_for
from frontdesk.channels.schemas import ChannelCreate, ChannelPublic, ChannelUpdate, VaultField
from frontdesk.conversations.models import Conversation
from frontdesk.core.crypto import KeyRing
from frontdesk.core.errors import Conflict, NotFound, ValidationFailed
from frontdesk.core.ids import new_id
from frontdesk.intake.models import RawMessage
from frontdesk.vault.errors import InvalidCredentialValue
from frontdesk.vault.service import forget_references, record_reference
from frontdesk.vault.types import text_field


async def channel_of_type(session: AsyncSession, tenant_id: str, type_: str) -> Channel:
    """The tenant's enabled channel of ``type_``, or :class:`NotFound`."""
    channel = await session.scalar(
        select(Channel)
        .where(Channel.tenant_id == tenant_id, Channel.type == type_, Channel.enabled.is_(True))
        .order_by(Channel.id)
        .limit(1)
    )
    if channel is None:
        raise NotFound(f"This tenant has no {type_} channel")
    return channel


async def ensure_channel(session: AsyncSession, tenant_id: str, type_: str, name: str) -> Channel:
    """The tenant's channel of ``type_``, created if missing (flushed, not committed)."""
    try:
        return await channel_of_type(session, tenant_id, type_)
    except NotFound:
        channel = Channel(tenant_id=tenant_id, type=type_, name=name, config={})
        session.add(channel)
        await session.flush()
        return channel


def _check_complete(
    type_: str, config: dict[str, Any], credentials: dict[str, str], vault: dict[str, Any]
) -> None:
    adapter = adapter_for(type_)
    given = {k for k, v in credentials.items() if v} | set(vault)
    missing = [f"config.{k}" for k in adapter.required_config if config.get(k) in (None, "")]
    missing += [f"credentials.{k}" for k in adapter.required_credentials if k not in given]
    if missing:
        raise ValidationFailed(f"A {type_} channel needs {', '.join(missing)}", missing=missing)


async def _store_credentials(
    session: AsyncSession, keyring: KeyRing, channel: Channel, credentials: dict[str, str]
) -> None:
    channel.credentials = await keyring.encrypt(
        session, channel.tenant_id, orjson.dumps(credentials), credentials_aad(channel.id)
    )


def _not_both(credentials: dict[str, Any], vault: dict[str, Any]) -> None:
    both = sorted(set(credentials) & set(vault))
    if both:
        raise ValidationFailed(
            f"Give {', '.join(both)} in credentials or in vault_credentials, not both"
        )


async def _use_vault(
    session: AsyncSession, channel: Channel, fields: dict[str, VaultField]
) -> None:
    """Check and store the channel's vault fields; keep the vault's list of dependents in step.

    Each must name an active credential of the tenant that has the text field asked for.
    """
    stored = {}
    for name, ref in sorted(fields.items()):
        cred = await record_reference(
            session, channel.tenant_id, ref.credential_id, "channel", channel.id
        )
        try:
            field = text_field(cred.type, cred.custom_schema, ref.field)
        except InvalidCredentialValue as e:
            raise ValidationFailed(f"vault_credentials.{name}: {e.detail}") from None
        stored[name] = {"credential_id": ref.credential_id, "field": field}
    channel.vault_credentials = stored or None
    keep = {(ref.credential_id, channel.id) for ref in fields.values()}
    await forget_references(session, channel.tenant_id, "channel", channel.id, keep)


def vault_fields(channel: Channel) -> dict[str, VaultField]:
    """The channel's credential fields taken from the vault."""
    return {k: VaultField(**v) for k, v in (channel.vault_credentials or {}).items()}


async def create_channel(
    session: AsyncSession, keyring: KeyRing, tenant_id: str, data: ChannelCreate
) -> tuple[Channel, dict[str, str], str | None]:
    """Create a channel; return it, its credentials, and the secret generated for it if any."""
    adapter = adapter_for(data.type)
    credentials, vault = dict(data.credentials), dict(data.vault_credentials)
    _not_both(credentials, vault)
    generated = None
    field = adapter.generated_credential
    if field and not credentials.get(field) and field not in vault:
        generated = credentials[field] = secrets.token_urlsafe(32)
    _check_complete(data.type, data.config, credentials, vault)
    channel = Channel(
        id=new_id(), tenant_id=tenant_id, type=data.type, name=data.name, config=data.config
    )
    await _use_vault(session, channel, vault)
    await _store_credentials(session, keyring, channel, credentials)
    session.add(channel)
    await session.flush()
    return channel, credentials, generated


async def get_channel(session: AsyncSession, tenant_id: str, channel_id: str) -> Channel:
    """The tenant's channel, or :class:`NotFound`."""
    channel = await session.get(Channel, channel_id)
    if channel is None or channel.tenant_id != tenant_id:
        raise NotFound("Unknown channel")
    return channel


async def list_channels(session: AsyncSession, tenant_id: str) -> list[Channel]:
    """The tenant's channels, oldest first."""
    rows = await session.scalars(
        select(Channel).where(Channel.tenant_id == tenant_id).order_by(Channel.id)
    )
    return list(rows)


async def update_channel(
    session: AsyncSession, keyring: KeyRing, channel: Channel, data: ChannelUpdate
) -> dict[str, str]:
    """Apply ``data``; return the channel's stored credentials after the change."""
    credentials = await decrypt_credentials(session, keyring, channel)
    vault = vault_fields(channel)
    given, named = data.credentials or {}, data.vault_credentials or {}
    _not_both(given, named)
    if data.name is not None:
        channel.name = data.name
    if data.config is not None:
        channel.config = data.config
    if data.enabled is not None:
        channel.enabled = data.enabled
    credentials.update(given)
    for name, ref in named.items():
        credentials.pop(name, None)
        vault.pop(name, None)
        if ref is not None:
            vault[name] = ref
    for name in given:
        vault.pop(name, None)
    _check_complete(channel.type, channel.config, credentials, vault)
    if given or named:
        await _use_vault(session, channel, vault)
        await _store_credentials(session, keyring, channel, credentials)
    await session.flush()
    return credentials


async def delete_channel(session: AsyncSession, channel: Channel) -> None:
    """Delete a channel that never carried a message; otherwise :class:`Conflict`."""
    used = await session.scalar(
        select(
            exists().where(Conversation.channel_id == channel.id)
            | exists().where(RawMessage.channel_id == channel.id)
        )
    )
    if used:
        raise Conflict("This channel has conversations; disable it instead of deleting it")
    await forget_references(session, channel.tenant_id, "channel", channel.id)
    await session.delete(channel)
    await session.flush()


async def get_media(
    session: AsyncSession, tenant_id: str, media_id: str, *, with_data: bool = False
) -> ChannelMedia:
    """The tenant's media row, or :class:`NotFound`."""
    options = [undefer(ChannelMedia.data)] if with_data else []
    row = await session.get(ChannelMedia, media_id, options=options)
    if row is None or row.tenant_id != tenant_id:
        raise NotFound("Unknown media")
    return row


async def stored_media(session: AsyncSession, media_id: str) -> tuple[ChannelMedia, bytes]:
    """A stored file and its ciphertext, whoever's (signed links), or :class:`NotFound`."""
    row = await session.get(ChannelMedia, media_id, options=[undefer(ChannelMedia.data)])
    if row is None or row.status != "stored" or row.data is None:
        raise NotFound("No such file")
    return row, row.data


def mask(credentials: dict[str, str]) -> dict[str, str]:
    """Credentials as the API shows them: only the last four characters of long values."""
    return {k: ("…" + v[-4:] if len(v) >= 16 else "…") for k, v in credentials.items()}


def webhook_url(base_url: str, tenant_slug: str, channel: Channel | ChannelInfo) -> str | None:
    """Where the provider must send this channel's webhooks (None for the web chat)."""
    if channel.type == "webchat":
        return None
    return f"{base_url.rstrip('/')}/webhooks/{tenant_slug}/{channel.id}"


def public(
    channel: Channel, credentials: dict[str, str], base_url: str, tenant_slug: str
) -> ChannelPublic:
    """The API view of a channel."""
    return ChannelPublic(
        id=channel.id,
        type=channel.type,
        name=channel.name,
        enabled=channel.enabled,
        config=channel.config or {},
        credentials=mask(credentials),
        vault_credentials=vault_fields(channel),
        webhook_url=webhook_url(base_url, tenant_slug, channel),
        created_at=channel.created_at,
    )
