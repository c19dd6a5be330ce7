"""Channel lookups with decrypted credentials, cached briefly per process.

A channel's secrets are stored with it (encrypted under the tenant's data key) or named in the
vault (``vault_credentials``). Vault ones are revealed through the vault's audited path, once
per credential version and process: a reload after the cache expires reads the versions and
decrypts again only when one was rotated.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.channels.models import Channel
from frontdesk.core.cache import TTLCache
from frontdesk.core.crypto import DecryptionError, KeyRing
from frontdesk.core.db import Database
from frontdesk.core.errors import FrontdeskError, NotFound
from frontdesk.core.http import safe_client
from frontdesk.core.logging import get_logger
from frontdesk.settings import Settings
from frontdesk.vault.errors import CredentialNotFound, CredentialUnavailable
from frontdesk.vault.revealed import RevealedValues, active_versions
from frontdesk.vault.service import Vault

VAULT_SERVICE = "channels"
log = get_logger("frontdesk.channels")

DEFAULT_API_URLS = {
    "whatsapp": "https://graph.facebook.com/v21.0",
    "messenger": "https://graph.facebook.com/v21.0",
    "instagram": "https://graph.facebook.com/v21.0",
    "telegram": "https://api.telegram.org",
    "slack": "https://slack.com/api",
    "twilio": "https://api.twilio.com",
}


def credentials_aad(channel_id: str) -> bytes:
    """Associated data binding a channel's encrypted credentials to that channel."""
    return f"channel-credentials:{channel_id}".encode()


@dataclass(frozen=True)
class ChannelInfo:
    """A channel with its credentials decrypted (never logged, never returned by the API)."""

    id: str
    tenant_id: str
    type: str
    name: str
    enabled: bool
    config: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict, repr=False)


class CredentialsUnavailable(FrontdeskError):
    """A channel's vault credential is revoked, archived or unreadable: it cannot work now."""

    status = 503
    code = "channel_credentials_unavailable"


class Credentials(dict[str, str]):
    """A channel's credential values, with the fields whose vault credential is unavailable.

    Reading such a field raises :class:`CredentialsUnavailable`: a webhook it would verify is
    answered 503 (the provider delivers it again later), a send it would sign is retried.
    """

    def __init__(self, values: dict[str, str], unavailable: dict[str, str]) -> None:
        super().__init__(values)
        self.unavailable = unavailable

    def __missing__(self, name: str) -> str:
        reason = self.unavailable.get(name)
        if reason is None:
            raise KeyError(name)
        raise CredentialsUnavailable(f"The channel's {name} is unavailable: {reason}")


async def decrypt_credentials(
    session: AsyncSession, keyring: KeyRing, channel: Channel
) -> dict[str, str]:
    """The channel's credentials, decrypted."""
    if not channel.credentials:
        return {}
    plain = await keyring.decrypt(
        session, channel.tenant_id, channel.credentials, credentials_aad(channel.id)
    )
    data = orjson.loads(plain)
    return {str(k): str(v) for k, v in data.items()}


class ChannelDirectory:
    """Finds a tenant's channel by id, with credentials, for ``ttl`` seconds at a time.

    It also holds the process's outbound client to the providers (SSRF-guarded), so sends
    reuse connections instead of paying for a new client and TLS setup each time.
    """

    def __init__(self, db: Database, keyring: KeyRing, settings: Settings, vault: Vault) -> None:
        self._db = db
        self._keyring = keyring
        self._settings = settings
        self._revealed = RevealedValues(vault, VAULT_SERVICE)
        self._cache: TTLCache[str, ChannelInfo] = TTLCache(settings.tenant_cache_seconds)
        self._client: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient] | None = None

    def client(self) -> httpx.AsyncClient:
        """The shared provider client of the running event loop."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client[0] is not loop:
            self._client = (loop, safe_client(self._settings))
        return self._client[1]

    async def aclose(self) -> None:
        """Close the provider client (at shutdown)."""
        if self._client is not None:
            await self._client[1].aclose()
            self._client = None

    async def get(
        self, tenant_id: str, channel_id: str, session: AsyncSession | None = None
    ) -> ChannelInfo:
        """The tenant's channel, enabled or not, or :class:`NotFound`.

        A caller that holds a session passes it: a miss then reads through that session. Opening
        a second connection while holding one can starve the pool when many callers miss at
        once (each waits for a connection that another waiter holds). Only a vault credential
        version new to this process needs one, for its audited reveal: so the caller must not
        have written yet (its transaction would hold SQLite's write lock).
        """
        cached = self._cache.get(channel_id)
        if cached is not None and cached.tenant_id == tenant_id:
            return cached
        generation = self._cache.generation()
        if session is None:
            async with self._db.tenant_session(tenant_id) as own:
                info, fields, versions = await self._load(own, tenant_id, channel_id)
        else:
            info, fields, versions = await self._load(session, tenant_id, channel_id)
        if fields:
            if session is not None and self._db.writing(session):
                raise RuntimeError("A vault credential is revealed before the caller writes")
            info = await self._from_vault(info, fields, versions)
        self._cache.put(channel_id, info, generation)
        return info

    async def _load(
        self, session: AsyncSession, tenant_id: str, channel_id: str
    ) -> tuple[ChannelInfo, dict[str, dict[str, str]], dict[str, int]]:
        """The channel with its stored credentials, its vault fields, and their versions."""
        channel = await session.get(Channel, channel_id)
        if channel is None or channel.tenant_id != tenant_id:
            raise NotFound("Unknown channel")
        info = ChannelInfo(
            id=channel.id,
            tenant_id=channel.tenant_id,
            type=channel.type,
            name=channel.name,
            enabled=channel.enabled,
            config=dict(channel.config or {}),
            credentials=await decrypt_credentials(session, self._keyring, channel),
        )
        fields = dict(channel.vault_credentials or {})
        ids = {ref["credential_id"] for ref in fields.values()}
        return info, fields, await active_versions(session, tenant_id, ids)

    async def _from_vault(
        self, info: ChannelInfo, fields: dict[str, dict[str, str]], versions: dict[str, int]
    ) -> ChannelInfo:
        """``info`` with its vault fields' values, or the reasons they are unavailable."""
        credentials, unavailable = dict(info.credentials), {}
        for name, ref in sorted(fields.items()):
            credential_id = ref["credential_id"]
            try:
                value = await self._revealed.get(
                    info.tenant_id,
                    credential_id,
                    versions.get(credential_id),
                    f"channel {info.id}",
                    ("channel", info.id),
                )
            except (CredentialNotFound, CredentialUnavailable, DecryptionError) as exc:
                unavailable[name] = f"vault credential {credential_id}: {exc.detail}"
                continue
            text = value.text(ref.get("field"))
            if text is None:
                unavailable[name] = f"vault credential {credential_id} has no {ref.get('field')}"
            else:
                credentials[name] = text
        problem = repr(sorted(unavailable.items())) if unavailable else None
        if self._revealed.report(info.id, problem):  # logged when it appears or changes
            log.warning("channel_credentials_unavailable", channel_id=info.id, fields=unavailable)
        return replace(info, credentials=Credentials(credentials, unavailable))

    def forget(self, channel_id: str) -> None:
        """Drop a channel from the cache (after it changed here)."""
        self._cache.forget(channel_id)
