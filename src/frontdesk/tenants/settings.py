"""The typed view of a tenant's settings document."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.tenants.cache import TenantInfo

DEFAULT_FALLBACK = (
    "Thanks for your message! I couldn't find an answer right away, so a member of our team "
    "will get back to you shortly."
)


class TenantPreferences(BaseModel):
    """What a tenant can tune about how the bot answers."""

    model_config = ConfigDict(extra="allow")

    fallback_text: str = Field(default=DEFAULT_FALLBACK, min_length=1, max_length=2000)
    faq_threshold: float = Field(default=68.0, ge=0, le=100)
    timezone: str = Field(default="UTC", max_length=64)
    language: str = Field(default="en", max_length=16)


def tenant_preferences(tenant: TenantInfo) -> TenantPreferences:
    """Parse a tenant's settings, falling back to defaults for anything unset."""
    return TenantPreferences.model_validate(tenant.settings)
