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
    otp: str | None = Field(
        default=None,
        max_length=64,
        description="a code from the authenticator app, or a recovery code (members with MFA)",
    )


class MfaCode(BaseModel):
    """A one-time code: from the authenticator app, or (to turn MFA off) a recovery code."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)


class MfaSetupOut(BaseModel):
    """A new authenticator secret, shown only this once; confirm it with a code."""

    secret: str = Field(description="base32, for typing into the app by hand")
    otpauth_uri: str
    qr_svg: str = Field(description="the otpauth URI as a QR code, an SVG data: URI")


class MfaRecoveryCodes(BaseModel):
    """One-time recovery codes, shown only this once (each works once instead of a code)."""

    recovery_codes: list[str]


class MeMfa(BaseModel):
    """The member's second factor, and whether this login gave it."""

    enabled: bool
    pending: bool = Field(description="set up but not yet confirmed with a code")
    recovery_codes_left: int
    session: bool = Field(description="this login gave a second factor")


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
    available: bool = True
    """Taking hand-overs (``PUT /api/v1/members/me/availability`` changes it)."""


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
    mfa: MeMfa | None = None
