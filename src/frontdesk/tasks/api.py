"""Task routes: create, list, read, change, and move a task through its states."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from frontdesk.core.auth import Principal
from frontdesk.core.deps import RuntimeDep, SessionDep, require
from frontdesk.core.errors import ValidationFailed
from frontdesk.tasks import service
from frontdesk.tasks.schemas import Status, TaskClose, TaskCreate, TaskPublic, TaskUpdate

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])
Reader = Annotated[Principal, Depends(require("tasks:read"))]
Writer = Annotated[Principal, Depends(require("tasks:write"))]


def _actor(principal: Principal) -> str:
    return principal.member_id or principal.key_id


@router.post("", response_model=TaskPublic, status_code=201)
async def create_task(body: TaskCreate, principal: Writer, runtime: RuntimeDep) -> Any:
    """Create a task; publishes ``task.created`` (and ``task.assigned`` with an assignee)."""
    draft = service.TaskDraft(source="api", **body.model_dump())
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        return await service.create_task(runtime, session, principal.tenant_id, draft)


@router.get("", response_model=list[TaskPublic])
async def list_tasks(
    session: SessionDep,
    principal: Reader,
    status: Status | None = None,
    assignee_id: str | None = None,
    mine: bool = False,
    unassigned: bool = False,
    conversation_id: str | None = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    """The tenant's tasks, newest first, filtered.

    ``mine`` keeps those of the logged-in member, ``unassigned`` those of nobody: at most one
    of ``assignee_id``, ``mine`` and ``unassigned``.
    """
    if mine and principal.member_id is None:
        raise ValidationFailed("mine needs a member's login, not an API key", field="mine")
    if sum((mine, unassigned, assignee_id is not None)) > 1:
        raise ValidationFailed("Use only one of assignee_id, mine and unassigned")
    return await service.list_tasks(
        session,
        principal.tenant_id,
        status=status,
        assignee_id=principal.member_id if mine else assignee_id,
        unassigned=unassigned,
        conversation_id=conversation_id,
        overdue=overdue,
        limit=limit,
        offset=offset,
    )


@router.get("/{task_id}", response_model=TaskPublic)
async def get_task(task_id: str, session: SessionDep, principal: Reader) -> Any:
    """One task."""
    return await service.get_task(session, principal.tenant_id, task_id)


@router.patch("/{task_id}", response_model=TaskPublic)
async def update_task(
    task_id: str, body: TaskUpdate, principal: Writer, runtime: RuntimeDep
) -> Any:
    """Change title, description, due date, priority or assignee of a task still to be done."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        task = await service.get_task(session, principal.tenant_id, task_id, lock=True)
        return await service.update_task(runtime, session, task, body.changes())


@router.post("/{task_id}/start", response_model=TaskPublic)
async def start_task(task_id: str, principal: Writer, runtime: RuntimeDep) -> Any:
    """Open → in progress (409 from any other state)."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        task = await service.get_task(session, principal.tenant_id, task_id, lock=True)
        return service.start(task, _actor(principal))


@router.post("/{task_id}/complete", response_model=TaskPublic)
async def complete_task(
    task_id: str, principal: Writer, runtime: RuntimeDep, body: TaskClose | None = None
) -> Any:
    """Complete a task still to be done; a conversation's customer is told it is done."""
    note = body.note if body else None
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        task = await service.get_task(session, principal.tenant_id, task_id, lock=True)
        return await service.complete(runtime, session, task, _actor(principal), note)


@router.post("/{task_id}/cancel", response_model=TaskPublic)
async def cancel_task(
    task_id: str, principal: Writer, runtime: RuntimeDep, body: TaskClose | None = None
) -> Any:
    """Cancel a task still to be done."""
    note = body.note if body else None
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        task = await service.get_task(session, principal.tenant_id, task_id, lock=True)
        return await service.cancel(runtime, session, task, _actor(principal), note)
