"""Vault request and response bodies. No response model has a field that can hold a secret."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

UtcDatetime = Annotated[AwareDatetime, AfterValidator(lambda value: value.astimezone(UTC))]
NAME_PATTERN = r"^[^\x00-\x1f]+$"
Name = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
Service = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:/-]+$")
Reason = Field(min_length=3, max_length=500)


class Strict(BaseModel):
    """A request body that refuses unknown fields."""

    model_config = ConfigDict(extra="forbid")


class CredentialCreate(Strict):
    """A new credential: its type, value and the non-secret details."""

    name: str = Name
    type: str = Field(min_length=1, max_length=32)
    value: dict[str, Any]
    description: str = Field(default="", max_length=2000)
    metadata: dict[str, Any] = Field(default_factory=dict)
    custom_schema: dict[str, Any] | None = None
    expires_at: UtcDatetime | None = None
    rotation_days: int | None = Field(default=None, ge=1, le=3650)


class CredentialUpdate(Strict):
    """A change to a credential's non-secret details (the value changes by rotation)."""

    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=NAME_PATTERN)
    description: str | None = Field(default=None, max_length=2000)
    metadata: dict[str, Any] | None = None
    expires_at: UtcDatetime | None = None
    rotation_days: int | None = Field(default=None, ge=1, le=3650)


class CredentialRotate(Strict):
    """A new value, which becomes the next version."""

    value: dict[str, Any]
    reason: str = Reason
    expires_at: UtcDatetime | None = None


class ReasonBody(Strict):
    """Why (revocation, deletion)."""

    reason: str = Reason


class CredentialPublic(BaseModel):
    """A credential as the API shows it: metadata and a masked view of the value."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    type: str
    description: str
    metadata: dict[str, Any] = Field(validation_alias="meta")
    masked: dict[str, Any]
    custom_schema: dict[str, Any] | None
    version: int
    status: str
    expires_at: datetime | None
    expires_soon: bool = False
    rotation_days: int | None
    rotated_at: datetime
    rotation_due: bool = False
    use_count: int
    last_used_at: datetime | None
    revoked_at: datetime | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class VersionPublic(BaseModel):
    """One version of a credential, without its ciphertext."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    created_by: str
    reason: str
    created_at: datetime


class ReferencePublic(BaseModel):
    """A dependent of a credential."""

    model_config = ConfigDict(from_attributes=True)

    kind: str
    ref_id: str
    use_count: int
    last_used_at: datetime | None
    flagged_at: datetime | None
    flag_reason: str | None


class UsagePublic(BaseModel):
    """How much a credential is used, and by what."""

    credential_id: str
    use_count: int
    last_used_at: datetime | None
    references: list[ReferencePublic]


class RevokedPublic(BaseModel):
    """A revoked credential and the dependents now flagged."""

    credential: CredentialPublic
    dependents: list[ReferencePublic]


class TestPublic(BaseModel):
    """The outcome of a credential's validation call."""

    ok: bool
    detail: str
    checked_at: datetime


class TokenRequest(Strict):
    """Ask for a decrypt token: for which service, and why."""

    service: str = Service
    reason: str = Reason


class TokenPublic(BaseModel):
    """A decrypt token, shown once."""

    token: str
    credential_id: str
    service: str
    expires_at: datetime


class DecryptRequest(Strict):
    """Redeem a decrypt token."""

    token: str = Field(min_length=1, max_length=200)
    service: str = Service
    credential_id: str | None = Field(default=None, max_length=36)


class DecryptedPublic(BaseModel):
    """The plaintext value: returned only by ``POST /vault/decrypt``."""

    credential_id: str
    type: str
    version: int
    value: dict[str, Any]


class AuditPublic(BaseModel):
    """One audit row."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    credential_id: str | None
    action: str
    outcome: str
    actor: str
    service: str | None
    reason: str | None
    ip: str | None
    user_agent: str | None


ExportFormat = Literal["csv", "jsonl"]
