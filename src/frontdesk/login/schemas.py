"""Login, session and password bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.core.auth import Role


class LoginIn(BaseModel):
    """A member's credentials; ``tenant`` is the tenant's slug."""

    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=63)
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=256)


class PasswordSet(BaseModel):
    """A new password for a member."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=8, max_length=256)


class MeMember(BaseModel):
    """The logged-in member."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str


class MeTenant(BaseModel):
    """The caller's tenant, as the console shows it."""

    id: str
    slug: str


class Me(BaseModel):
    """Who is calling and what the role allows; ``member`` is null for API keys."""

    member: MeMember | None
    tenant: MeTenant
    role: Role
    permissions: list[str]
    csrf_token: str | None = None
