"""Tasks (PRODUCT.md R3): create, assign, start, complete or cancel, and tell who needs to know.

Every function works in the caller's write transaction: the task, its outbox events
(``task.created``, ``task.assigned``, ``task.completed``, ``task.cancelled``) and the message
that tells the customer their request is done commit together, or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations import language
from frontdesk.conversations import service as conversations
from frontdesk.conversations.models import Conversation
from frontdesk.core.clock import utcnow
from frontdesk.core.db import after_commit, owned_row
from frontdesk.core.errors import Conflict, NotFound, ValidationFailed
from frontdesk.core.ids import new_id
from frontdesk.core.outbox import publish
from frontdesk.tasks.schemas import short_ref
from frontdesk.tenants.models import Member
from frontdesk.workflows.models import TASK_STATUSES, WorkflowTask

if TYPE_CHECKING:
    from frontdesk.runtime import Runtime

OPEN, IN_PROGRESS, COMPLETED, CANCELLED = TASK_STATUSES
ACTIVE = (OPEN, IN_PROGRESS)
"""The states of a task still to be done."""
AGENT_ROLE = "agent"
DONE_TEXT = "Your request “{title}” is done."
"""What the customer is told, on their own channel, when a task of their conversation is done."""
MAX_TITLE_IN_TEXT = 200


@dataclass(frozen=True, slots=True)
class TaskDraft:
    """What a new task is made of, whoever creates it."""

    title: str
    source: str
    description: str = ""
    assignee_id: str | None = None
    due_at: datetime | None = None
    priority: str = "normal"
    conversation_id: str | None = None
    idempotency_key: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


# -- reading ----------------------------------------------------------------------------------


async def get_task(
    session: AsyncSession, tenant_id: str, task_id: str, *, lock: bool = False
) -> WorkflowTask:
    """One of the tenant's tasks (row-locked on PostgreSQL with ``lock``), or NotFound."""
    task = await owned_row(session, WorkflowTask, tenant_id, task_id, lock=lock)
    if task is None:
        raise NotFound("No such task")
    return task


async def list_tasks(
    session: AsyncSession,
    tenant_id: str,
    *,
    status: str | None = None,
    assignee_id: str | None = None,
    unassigned: bool = False,
    conversation_id: str | None = None,
    overdue: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[WorkflowTask]:
    """The tenant's tasks, newest first, filtered by any of the given criteria."""
    stmt = select(WorkflowTask).where(WorkflowTask.tenant_id == tenant_id)
    if status:
        stmt = stmt.where(WorkflowTask.status == status)
    if assignee_id:
        stmt = stmt.where(WorkflowTask.assignee_id == assignee_id)
    if unassigned:
        stmt = stmt.where(WorkflowTask.assignee_id.is_(None))
    if conversation_id:
        stmt = stmt.where(WorkflowTask.conversation_id == conversation_id)
    if overdue is not None:
        late = and_(WorkflowTask.due_at < utcnow(), WorkflowTask.status.in_(ACTIVE))
        stmt = stmt.where(late if overdue else or_(WorkflowTask.due_at.is_(None), ~late))
    stmt = stmt.order_by(WorkflowTask.id.desc()).limit(limit).offset(offset)
    return list((await session.scalars(stmt)).all())


async def active_for_conversation(
    session: AsyncSession, tenant_id: str, conversation_id: str, limit: int = 3
) -> list[WorkflowTask]:
    """The conversation's tasks still to be done, newest first."""
    stmt = (
        select(WorkflowTask)
        .where(
            WorkflowTask.tenant_id == tenant_id,
            WorkflowTask.conversation_id == conversation_id,
            WorkflowTask.status.in_(ACTIVE),
        )
        .order_by(WorkflowTask.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def least_loaded_agent(session: AsyncSession, tenant_id: str) -> str | None:
    """The agent with the fewest tasks still to do (the longest-standing one on a tie)."""
    load = func.count(WorkflowTask.id)
    stmt = (
        select(Member.id)
        .outerjoin(
            WorkflowTask,
            and_(
                WorkflowTask.tenant_id == Member.tenant_id,
                WorkflowTask.assignee_id == Member.id,
                WorkflowTask.status.in_(ACTIVE),
            ),
        )
        .where(Member.tenant_id == tenant_id, Member.role == AGENT_ROLE)
        .group_by(Member.id)
        .order_by(load, Member.id)
        .limit(1)
    )
    return await session.scalar(stmt)


async def is_member(session: AsyncSession, tenant_id: str, member_id: str) -> bool:
    """True when ``member_id`` is a member of the tenant."""
    found = await session.scalar(
        select(Member.id).where(Member.tenant_id == tenant_id, Member.id == member_id)
    )
    return found is not None


# -- changing ---------------------------------------------------------------------------------


async def create_task(
    runtime: Runtime, session: AsyncSession, tenant_id: str, draft: TaskDraft
) -> WorkflowTask:
    """Add a task (flushed) and publish ``task.created``, and ``task.assigned`` with an assignee.

    The assignee must be a member of the tenant and the conversation one of its conversations
    (:class:`ValidationFailed` otherwise); a conversation's task belongs to its contact too.
    """
    if draft.assignee_id is not None:
        await _check_member(session, tenant_id, draft.assignee_id)
    contact_id = None
    if draft.conversation_id is not None:
        contact_id = (await _conversation(session, tenant_id, draft.conversation_id)).contact_id
    task_id = new_id()
    task = WorkflowTask(
        id=task_id,
        tenant_id=tenant_id,
        idempotency_key=draft.idempotency_key or f"{draft.source}:{task_id}",
        title=draft.title,
        description=draft.description,
        assignee_id=draft.assignee_id,
        due_at=draft.due_at,
        priority=draft.priority,
        source=draft.source,
        conversation_id=draft.conversation_id,
        contact_id=contact_id,
        data=dict(draft.data),
        updated_at=utcnow(),
    )
    session.add(task)
    await session.flush()
    await announce(runtime, session, task)
    return task


async def announce(runtime: Runtime, session: AsyncSession, task: WorkflowTask) -> None:
    """Publish the events of a task just created (also for the tasks workflows create)."""
    await publish(session, task.tenant_id, "task.created", _summary(task))
    if task.assignee_id is not None:
        await _publish_assigned(session, task, None)
    after_commit(session, runtime.outbox.wake.set)


async def update_task(
    runtime: Runtime, session: AsyncSession, task: WorkflowTask, changes: dict[str, Any]
) -> WorkflowTask:
    """Change a task still to be done (:class:`Conflict` for a finished one).

    ``changes`` may name ``title``, ``description``, ``due_at``, ``priority`` and ``assignee_id``;
    a new assignee must be a member of the tenant and is announced with ``task.assigned``.
    """
    if task.status not in ACTIVE:
        raise Conflict(f"A {task.status} task cannot be changed", task_status=task.status)
    previous = task.assignee_id
    assignee = changes.get("assignee_id", previous)
    if assignee is not None and assignee != previous:
        await _check_member(session, task.tenant_id, assignee)
    for name, value in changes.items():
        setattr(task, name, value)
    task.updated_at = utcnow()
    if assignee is not None and assignee != previous:
        await _publish_assigned(session, task, previous)
        after_commit(session, runtime.outbox.wake.set)
    return task


def start(task: WorkflowTask, actor: str) -> WorkflowTask:
    """Mark an open task in progress (:class:`Conflict` from any other state)."""
    _move(task, "started", (OPEN,), IN_PROGRESS)
    task.data = {**task.data, "started_by": actor}
    return task


async def complete(
    runtime: Runtime,
    session: AsyncSession,
    task: WorkflowTask,
    actor: str,
    note: str | None = None,
    result: dict[str, Any] | None = None,
) -> WorkflowTask:
    """Complete a task still to be done, publish ``task.completed`` and tell the customer.

    A workflow's task also publishes ``workflow.task_completed`` with ``result``, for the
    workflows that wait on it. A task of a conversation sends the customer :data:`DONE_TEXT`.
    """
    _move(task, "completed", ACTIVE, COMPLETED)
    task.completed_at = task.updated_at
    task.data = {**task.data, "completed_by": actor, "note": note, "result": result or {}}
    payload = {**_summary(task), "completed_by": actor, "note": note}
    await publish(session, task.tenant_id, "task.completed", payload)
    if task.source == "workflow":
        await publish(
            session,
            task.tenant_id,
            "workflow.task_completed",
            {"task_id": task.id, "instance_id": task.instance_id, "result": result or {}},
        )
    if task.conversation_id is not None:
        await tell_customer(runtime, session, task)
    after_commit(session, runtime.outbox.wake.set)
    return task


async def cancel(
    runtime: Runtime, session: AsyncSession, task: WorkflowTask, actor: str, note: str | None
) -> WorkflowTask:
    """Cancel a task still to be done and publish ``task.cancelled``."""
    _move(task, "cancelled", ACTIVE, CANCELLED)
    task.data = {**task.data, "cancelled_by": actor, "note": note}
    await publish(
        session, task.tenant_id, "task.cancelled", {**_summary(task), "cancelled_by": actor}
    )
    after_commit(session, runtime.outbox.wake.set)
    return task


async def tell_customer(runtime: Runtime, session: AsyncSession, task: WorkflowTask) -> None:
    """Send :data:`DONE_TEXT` as a bot message on the conversation's channel.

    As the message pipeline sends a reply: the web chat's message is ``sent`` and its live
    stream notified after the commit; a provider's channel gets a ``queued`` message and its
    send job in this transaction. To a customer who writes in another language, a job
    translates the notice first (see :mod:`frontdesk.conversations.language`).
    """
    assert task.conversation_id is not None
    conversation = await conversations.get_conversation(
        session, task.tenant_id, task.conversation_id
    )
    channel_type = await runtime.channel_type(session, task.tenant_id, conversation.channel_id)
    title = task.title if len(task.title) <= MAX_TITLE_IN_TEXT else task.title[:199] + "…"
    await language.send(
        runtime,
        session,
        conversation,
        channel_type,
        DONE_TEXT.format(title=title),
        handler="task",
        meta={"task_id": task.id},
        translate_to=await language.languages(runtime, conversation),
        ordering_key=f"send:{conversation.id}",
    )


# -- helpers ----------------------------------------------------------------------------------


def _move(task: WorkflowTask, done: str, allowed: tuple[str, ...], target: str) -> None:
    if task.status not in allowed:
        raise Conflict(f"A {task.status} task cannot be {done}", task_status=task.status)
    task.status = target
    task.updated_at = utcnow()


def _summary(task: WorkflowTask) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "ref": short_ref(task.id),
        "title": task.title,
        "status": task.status,
        "priority": task.priority,
        "source": task.source,
        "assignee_id": task.assignee_id,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "conversation_id": task.conversation_id,
        "contact_id": task.contact_id,
        "instance_id": task.instance_id,
    }


async def _publish_assigned(
    session: AsyncSession, task: WorkflowTask, previous: str | None
) -> None:
    payload = {
        "task_id": task.id,
        "ref": short_ref(task.id),
        "title": task.title,
        "assignee_id": task.assignee_id,
        "previous_assignee_id": previous,
        "conversation_id": task.conversation_id,
    }
    await publish(session, task.tenant_id, "task.assigned", payload)


async def _check_member(session: AsyncSession, tenant_id: str, member_id: str) -> None:
    if not await is_member(session, tenant_id, member_id):
        raise ValidationFailed("The assignee is not a member of this tenant", field="assignee_id")


async def _conversation(
    session: AsyncSession, tenant_id: str, conversation_id: str
) -> Conversation:
    try:
        return await conversations.get_conversation(session, tenant_id, conversation_id)
    except NotFound:
        raise ValidationFailed("No such conversation", field="conversation_id") from None
