"""Callback routes: the customers to get back to, and marking them done."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from frontdesk.conversations import callbacks
from frontdesk.conversations.schemas import CallbackPublic
from frontdesk.core.auth import Principal
from frontdesk.core.db import after_commit
from frontdesk.core.deps import RuntimeDep, SessionDep, require
from frontdesk.core.errors import ValidationFailed
from frontdesk.runtime import Runtime

router = APIRouter(prefix="/api/v1/callbacks", tags=["callbacks"])
Reader = Annotated[Principal, Depends(require("conversations:read"))]
Writer = Annotated[Principal, Depends(require("conversations:write"))]


@router.get("", response_model=list[CallbackPublic])
async def list_callbacks(
    session: SessionDep,
    principal: Reader,
    status: Literal["pending", "done", "cancelled"] | None = None,
    conversation_id: str | None = None,
    contact_id: str | None = None,
    since: Annotated[datetime | None, Query(description="requested since (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[object]:
    """The tenant's callbacks, oldest request first; filters: status, conversation, contact."""
    if since is not None and since.tzinfo is None:
        raise ValidationFailed("since needs a time zone (e.g. 2026-01-31T09:00:00Z)")
    return list(
        await callbacks.list_callbacks(
            session,
            principal.tenant_id,
            status=status,
            conversation_id=conversation_id,
            contact_id=contact_id,
            since=since,
            limit=limit,
            offset=offset,
        )
    )


@router.post("/{callback_id}/done", response_model=CallbackPublic)
async def mark_done(callback_id: str, runtime: RuntimeDep, principal: Writer) -> object:
    """Mark a pending callback done (the customer was called back)."""
    return await _finish(runtime, principal, callback_id, callbacks.DONE)


@router.post("/{callback_id}/cancel", response_model=CallbackPublic)
async def cancel(callback_id: str, runtime: RuntimeDep, principal: Writer) -> object:
    """Cancel a pending callback (no need to get back to the customer)."""
    return await _finish(runtime, principal, callback_id, callbacks.CANCELLED)


async def _finish(runtime: Runtime, principal: Principal, callback_id: str, status: str) -> object:
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        callback = await callbacks.get_callback(
            session, principal.tenant_id, callback_id, lock=True
        )
        await callbacks.finish(session, callback, status, principal.member_id)
        after_commit(session, runtime.outbox.wake.set)
    return callback
