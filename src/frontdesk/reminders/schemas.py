"""Request and response bodies of the reminders API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from frontdesk.reminders.service import MAX_SNOOZE_MINUTES, MAX_TEXT

ReminderText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)
]
Status = Literal["scheduled", "sent", "cancelled", "failed"]


class ReminderCreate(BaseModel):
    """A reminder for a conversation's customer.

    ``due_at`` without an offset is read in ``timezone`` (by default the tenant's).
    """

    model_config = ConfigDict(extra="forbid")

    conversation_id: str = Field(min_length=1, max_length=36)
    text: ReminderText
    due_at: datetime
    timezone: str | None = Field(default=None, min_length=1, max_length=64)


class ReminderUpdate(BaseModel):
    """A new text or due time for a scheduled reminder."""

    model_config = ConfigDict(extra="forbid")

    text: ReminderText | None = None
    due_at: datetime | None = None

    @model_validator(mode="after")
    def _something(self) -> ReminderUpdate:
        if self.text is None and self.due_at is None:
            raise ValueError("give a text, a due_at, or both")
        return self


class SnoozeIn(BaseModel):
    """How much later to remind again."""

    model_config = ConfigDict(extra="forbid")

    minutes: int = Field(ge=1, le=MAX_SNOOZE_MINUTES)


class ReminderPublic(BaseModel):
    """A reminder as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    conversation_id: str
    contact_id: str
    text: str
    due_at: datetime
    timezone: str
    status: str
    sent_at: datetime | None
    snoozed_count: int
    created_by: str
    message_id: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime
