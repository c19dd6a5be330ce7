"""Channel management API bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from frontdesk.channels.canonical import Reply

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
ConfigValue = Annotated[str, StringConstraints(max_length=2000)] | int | float | bool


class VaultField(BaseModel):
    """A credential field taken from a vault credential (revealed, audited, when loaded)."""

    model_config = ConfigDict(extra="forbid")

    credential_id: str = Field(min_length=1, max_length=36)
    field: Key | None = None
    """Which field of the credential's value; its type's main secret when omitted (an API
    key's ``key``, a webhook secret's ``secret``, basic auth's ``password``…)."""


class ChannelCreate(BaseModel):
    """A new channel: its type, a display name, provider settings and secrets.

    Each secret is given in ``credentials`` (stored encrypted with the channel) or named in
    ``vault_credentials`` (kept in the vault, where it is rotated and revoked), not both.
    """

    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=32)
    name: Name
    config: dict[Key, ConfigValue] = Field(default_factory=dict, max_length=32)
    credentials: dict[Key, Secret] = Field(default_factory=dict, max_length=16)
    vault_credentials: dict[Key, VaultField] = Field(default_factory=dict, max_length=16)


class ChannelUpdate(BaseModel):
    """Changes to a channel; given credentials replace those of the same name.

    A field given in ``credentials`` stops coming from the vault; one given in
    ``vault_credentials`` replaces the stored value (``null`` stops taking it from the vault).
    """

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    config: dict[Key, ConfigValue] | None = Field(default=None, max_length=32)
    credentials: dict[Key, Secret] | None = Field(default=None, max_length=16)
    vault_credentials: dict[Key, VaultField | None] | None = Field(default=None, max_length=16)
    enabled: bool | None = None


class ChannelPublic(BaseModel):
    """A channel as the API shows it: credentials masked."""

    id: str
    type: str
    name: str
    enabled: bool
    config: dict[str, ConfigValue]
    credentials: dict[str, str]
    vault_credentials: dict[str, VaultField] = Field(default_factory=dict)
    webhook_url: str | None
    created_at: datetime


class ChannelType(BaseModel):
    """What connecting a channel type takes: the fields its adapter requires."""

    type: str
    required_config: list[str]
    required_credentials: list[str]
    generated_credential: str | None
    webhook: bool


class ChannelCreated(ChannelPublic):
    """The created channel, with the secret Frontdesk generated for it (shown once)."""

    verify_token: str | None = None


class MediaPublic(BaseModel):
    """A stored file: a customer's (fetched and stored encrypted, or why not) or an upload."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    channel_id: str | None
    raw_message_id: str | None
    """The inbound message that brought it; none for a file a member uploaded."""
    kind: str
    status: str
    mime_type: str | None
    filename: str | None
    size: int | None
    error: str | None
    created_at: datetime


class TestSend(BaseModel):
    """A message to send now, to check a channel's outbound setup."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=200)
    reply: Reply


class TestSendResult(BaseModel):
    """What the provider answered."""

    provider_message_ids: list[str]
    degradations: list[str]
