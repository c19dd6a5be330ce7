"""Tenant, member and API-key bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from frontdesk.core.auth import Role
from frontdesk.tenants.settings import TenantPreferences

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"


class TenantPublic(BaseModel):
    """A tenant as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    slug: str
    name: str
    retention_days: int
    settings: TenantPreferences
    created_at: datetime


class TenantUpdate(BaseModel):
    """A partial change to the caller's tenant."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    retention_days: int | None = Field(default=None, ge=1, le=3650)
    settings: TenantPreferences | None = None


class MemberCreate(BaseModel):
    """A new member."""

    email: EmailStr
    name: str = Field(default="", max_length=200)
    role: Role


class MemberPublic(BaseModel):
    """A member as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    role: Role
    created_at: datetime
    mfa_enabled: bool = False
    available: bool = False
    """Marked available to answer handed-over conversations."""


class TeamMember(BaseModel):
    """A member as colleagues see them: to assign work to, and to name who did what."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    role: Role
    available: bool = False


class AvailabilityUpdate(BaseModel):
    """A member marking themself available or away."""

    model_config = ConfigDict(extra="forbid")

    available: bool


class AvailabilityPublic(BaseModel):
    """A member's availability."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    available: bool


class ApiKeyCreate(BaseModel):
    """A new API key."""

    name: str = Field(default="", max_length=200)
    role: Role


class ApiKeyPublic(BaseModel):
    """An API key as listed: never the key itself."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: Role
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    """A just-created API key: the only response that carries the key."""

    key: str
