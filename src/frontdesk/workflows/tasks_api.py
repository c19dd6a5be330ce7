"""Tasks that workflows create for members: list them, complete them.

The task's life cycle is :mod:`frontdesk.tasks.service`'s; ``/api/v1/tasks`` serves every task.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from frontdesk.core.auth import Principal
from frontdesk.core.deps import PrincipalDep, RuntimeDep, SessionDep, require
from frontdesk.core.errors import Forbidden
from frontdesk.tasks import service as tasks
from frontdesk.workflows.models import WorkflowTask

router = APIRouter(prefix="/api/v1/workflow-tasks", tags=["workflow-tasks"])
Reader = Annotated[Principal, Depends(require("workflows:read"))]


class TaskPublic(BaseModel):
    """A task as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    instance_id: str | None
    title: str
    description: str
    assignee_id: str | None
    due_at: datetime | None
    status: str
    data: dict[str, Any]
    completed_at: datetime | None


class TaskComplete(BaseModel):
    """Closing a task, optionally with a note and a result for the workflow."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)
    result: dict[str, Any] = Field(default_factory=dict)


def _completer(principal: PrincipalDep) -> Principal:
    """Machines (``workflows:run``) and agents (``conversations:write``) complete tasks."""
    if not (principal.can("workflows:run") or principal.can("conversations:write")):
        raise Forbidden(f"Role {principal.role.value!r} cannot complete tasks")
    return principal


Completer = Annotated[Principal, Depends(_completer)]


@router.get("", response_model=list[TaskPublic])
async def list_tasks(
    session: SessionDep,
    principal: Reader,
    status: Literal["open", "in_progress", "completed", "cancelled"] | None = None,
    assignee_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[WorkflowTask]:
    """The tenant's workflow tasks, newest first; filter by status and assignee."""
    stmt = select(WorkflowTask).where(WorkflowTask.tenant_id == principal.tenant_id)
    if status:
        stmt = stmt.where(WorkflowTask.status == status)
    if assignee_id:
        stmt = stmt.where(WorkflowTask.assignee_id == assignee_id)
    stmt = stmt.order_by(WorkflowTask.id.desc()).limit(limit).offset(offset)
    return list((await session.scalars(stmt)).all())


@router.post("/{task_id}/complete", response_model=TaskPublic)
async def complete_task(
    task_id: str, runtime: RuntimeDep, principal: Completer, body: TaskComplete | None = None
) -> WorkflowTask:
    """Mark the task completed (again: no change); publishes ``workflow.task_completed``."""
    body = body or TaskComplete()
    actor = principal.member_id or principal.key_id
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        task = await tasks.get_task(session, principal.tenant_id, task_id, lock=True)
        if task.status == tasks.COMPLETED:
            return task
        return await tasks.complete(runtime, session, task, actor, body.note, body.result)
