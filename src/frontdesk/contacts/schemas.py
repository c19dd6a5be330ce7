"""Contact bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class IdentityPublic(BaseModel):
    """How a contact is known on one channel."""

    model_config = ConfigDict(from_attributes=True)

    channel_type: str
    external_id: str


class ContactPublic(BaseModel):
    """A contact as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str | None
    email: str | None
    phone: str | None
    language: str | None
    vip: bool
    attributes: dict[str, Any]
    merged_into_id: str | None
    created_at: datetime
    updated_at: datetime


class ContactDetail(ContactPublic):
    """A contact with its channel identities."""

    identities: list[IdentityPublic]


class ContactUpdate(BaseModel):
    """A partial change to a contact."""

    name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{3,32}$")
    language: str | None = Field(default=None, max_length=16)
    vip: bool | None = None
    attributes: dict[str, Any] | None = None


class ContactMerge(BaseModel):
    """Merge ``other_id`` into the contact in the path."""

    other_id: str
