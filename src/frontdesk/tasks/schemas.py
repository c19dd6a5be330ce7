"""Request and response bodies of the tasks API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
    model_validator,
)

from frontdesk.core.clock import utcnow

Status = Literal["open", "in_progress", "completed", "cancelled"]
Priority = Literal["low", "normal", "high", "urgent"]


def short_ref(task_id: str) -> str:
    """The reference people read and say: ``T-`` and the id's last six hex digits."""
    return "T-" + task_id.replace("-", "")[-6:].upper()


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class TaskCreate(BaseModel):
    """A new task; linked to a conversation, it also belongs to that conversation's contact."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=5000)
    assignee_id: str | None = Field(default=None, min_length=1, max_length=36)
    due_at: AwareDatetime | None = None
    priority: Priority = "normal"
    conversation_id: str | None = Field(default=None, min_length=1, max_length=36)

    _strip = field_validator("title", mode="before")(_stripped)


class TaskUpdate(BaseModel):
    """A change of a task: only the fields given change (``null`` clears due date and assignee)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    due_at: AwareDatetime | None = None
    priority: Priority | None = None
    assignee_id: str | None = Field(default=None, min_length=1, max_length=36)

    _strip = field_validator("title", mode="before")(_stripped)

    @model_validator(mode="after")
    def _required_stay_set(self) -> TaskUpdate:
        for name in ("title", "description", "priority"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the request gave, by name."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class TaskClose(BaseModel):
    """Completing or cancelling a task, optionally with a note."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)


class TaskPublic(BaseModel):
    """A task as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    description: str
    status: Status
    priority: Priority
    source: str
    assignee_id: str | None
    due_at: datetime | None
    conversation_id: str | None
    contact_id: str | None
    instance_id: str | None
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ref(self) -> str:
        """The short reference (``T-3F9A2C``) the customer was given."""
        return short_ref(self.id)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overdue(self) -> bool:
        """Past its due date and not finished."""
        return (
            self.due_at is not None
            and self.status in ("open", "in_progress")
            and self.due_at < utcnow()
        )
