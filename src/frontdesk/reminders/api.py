"""Reminder routes: list, read, create, move, snooze and cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from frontdesk.conversations import service as conversations
from frontdesk.core.auth import Principal
from frontdesk.core.deps import RuntimeDep, SessionDep, require
from frontdesk.reminders import service
from frontdesk.reminders.schemas import (
    ReminderCreate,
    ReminderPublic,
    ReminderUpdate,
    SnoozeIn,
    Status,
)
from frontdesk.tenants.settings import tenant_preferences

router = APIRouter(prefix="/api/v1/reminders", tags=["reminders"])
Reader = Annotated[Principal, Depends(require("reminders:read"))]
Writer = Annotated[Principal, Depends(require("reminders:write"))]


def _author(principal: Principal) -> str:
    return principal.member_id or f"api_key:{principal.key_id}"


@router.get("", response_model=list[ReminderPublic])
async def list_reminders(
    session: SessionDep,
    principal: Reader,
    status: Status | None = None,
    conversation_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[Any]:
    """The tenant's reminders, soonest due first; filters: status, conversation."""
    return await service.list_reminders(
        session,
        principal.tenant_id,
        status=status,
        conversation_id=conversation_id,
        limit=limit,
        offset=offset,
    )


@router.get("/{reminder_id}", response_model=ReminderPublic)
async def get_reminder(reminder_id: str, session: SessionDep, principal: Reader) -> Any:
    """One reminder."""
    return await service.get(session, principal.tenant_id, reminder_id)


@router.post("", response_model=ReminderPublic, status_code=201)
async def create_reminder(body: ReminderCreate, runtime: RuntimeDep, principal: Writer) -> Any:
    """Schedule a reminder for a conversation's customer, delivered on their channel."""
    timezone = (
        body.timezone
        or tenant_preferences(await runtime.tenants.by_id(principal.tenant_id)).timezone
    )
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        conversation = await conversations.get_conversation(
            session, principal.tenant_id, body.conversation_id
        )
        return await service.create(
            session,
            runtime.queue,
            conversation,
            text=body.text,
            due_at=service.in_zone(body.due_at, timezone),
            timezone=timezone,
            created_by=_author(principal),
        )


@router.patch("/{reminder_id}", response_model=ReminderPublic)
async def update_reminder(
    reminder_id: str, body: ReminderUpdate, runtime: RuntimeDep, principal: Writer
) -> Any:
    """Change a scheduled reminder's text or due time (a naive time is in its time zone)."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        reminder = await service.get(session, principal.tenant_id, reminder_id, lock=True)
        due_at = service.in_zone(body.due_at, reminder.timezone) if body.due_at else None
        return await service.update(session, runtime.queue, reminder, text=body.text, due_at=due_at)


@router.post("/{reminder_id}/cancel", response_model=ReminderPublic)
async def cancel_reminder(reminder_id: str, runtime: RuntimeDep, principal: Writer) -> Any:
    """Cancel a scheduled reminder."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        reminder = await service.get(session, principal.tenant_id, reminder_id, lock=True)
        return await service.cancel(session, reminder)


@router.post("/{reminder_id}/snooze", response_model=ReminderPublic)
async def snooze_reminder(
    reminder_id: str, body: SnoozeIn, runtime: RuntimeDep, principal: Writer
) -> Any:
    """Remind again later: ``minutes`` after the due time, or after now once it was sent."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        reminder = await service.get(session, principal.tenant_id, reminder_id, lock=True)
        return await service.snooze(session, runtime.queue, reminder, body.minutes)
