"""The durable driver: runs segments of a run as queue jobs and persists each in one transaction.

Every piece of work on a run is a ``workflow.run`` job with the run's ordering key, so two never
run at once, in any process. A job loads the state, lets the interpreter advance it, and writes
the new state, its step rows, waits, timers, children and follow-up job in the job's own
transaction — which also completes the job. A crash before that commit leaves the previous state
and the job, which runs again: pure nodes are recomputed, a committed side effect is not repeated.

Timers are ``workflow.timer`` jobs with a ``run_at`` and no ordering key (one waiting an hour must
not hold up the run's other work); when due, a timer only enqueues the ``workflow.run`` job.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.clock import utcnow
from frontdesk.core.db import STAGED, Staged, Unstageable, after_commit
from frontdesk.core.errors import NotFound
from frontdesk.core.ids import new_id
from frontdesk.core.logging import correlation_id, get_logger
from frontdesk.core.outbox import publish
from frontdesk.queue.base import ClaimedJob, NewJob
from frontdesk.runtime import Runtime
from frontdesk.workflows.engine import Graph, Interpreter, Segment, new_state
from frontdesk.workflows.models import (
    Workflow,
    WorkflowInstance,
    WorkflowStep,
    WorkflowVersion,
    WorkflowWait,
)
from frontdesk.workflows.nodes.base import Effects, Wake
from frontdesk.workflows.nodes.registry import NODES

log = get_logger("frontdesk.workflows")

RUN = "workflow.run"
TIMER = "workflow.timer"
FINISHED = ("completed", "failed", "cancelled")
STEPS = cast(Table, WorkflowStep.__table__)
_CHILD_NS = uuid.UUID("6f1c1b2e-2d4f-4c50-9a57-7f0d3c1e9a11")


class Graphs:
    """Parsed graphs of versions (immutable, so cached for the process's life, bounded)."""

    def __init__(self, size: int = 512) -> None:
        self._cache: OrderedDict[str, Graph] = OrderedDict()
        self._size = size

    async def get(self, session: AsyncSession, version_id: str) -> Graph:
        """The graph of ``version_id``."""
        graph = self._cache.get(version_id)
        if graph is None:
            row = (
                await session.execute(
                    select(WorkflowVersion.definition, WorkflowVersion.number).where(
                        WorkflowVersion.id == version_id
                    )
                )
            ).first()
            if row is None:
                raise NotFound("No such workflow version")
            graph = Graph.build(row.definition, NODES)
            graph.number = row.number
            self._cache[version_id] = graph
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return graph


GRAPHS = Graphs()


def run_job(instance_id: str, tenant_id: str, **payload: Any) -> NewJob:
    """The job that advances a run (``wake`` or ``command`` in ``payload``)."""
    return NewJob(
        kind=RUN,
        tenant_id=tenant_id,
        payload={"instance_id": instance_id, **payload},
        ordering_key=f"wf:{instance_id}",
        max_attempts=10,
    )


def _timer_job(instance_id: str, tenant_id: str, token: str, kind: str, at: datetime) -> NewJob:
    return NewJob(
        kind=TIMER,
        tenant_id=tenant_id,
        payload={"instance_id": instance_id, "token": token, "kind": kind},
        run_at=at,
        max_attempts=10,
    )


async def started(
    session: AsyncSession, workflow_id: str, trigger_key: str
) -> WorkflowInstance | None:
    """The run of ``workflow_id`` that ``trigger_key`` already started, if any."""
    return await session.scalar(
        select(WorkflowInstance).where(
            WorkflowInstance.workflow_id == workflow_id, WorkflowInstance.trigger_key == trigger_key
        )
    )


def pick_version(workflow: Workflow, key: str) -> tuple[str, str | None]:
    """The version a new run takes, and its A/B variant (stable for the same ``key``)."""
    variants = [v for v in workflow.variants if v.get("weight", 0) > 0]
    if not variants:
        if workflow.active_version_id is None:
            raise NotFound("The workflow has no active version")
        return workflow.active_version_id, None
    total = sum(int(v["weight"]) for v in variants)
    point = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % total
    for variant in variants:
        point -= int(variant["weight"])
        if point < 0:
            return str(variant["version_id"]), str(variant["version_id"])
    return str(variants[-1]["version_id"]), str(variants[-1]["version_id"])


def _effects(runtime: Runtime, session: AsyncSession, instance: WorkflowInstance) -> Effects:
    from frontdesk.workflows.effects import LiveEffects

    return LiveEffects(runtime, session, instance.tenant_id, instance.workflow_id)


def _instance_view(instance: WorkflowInstance, number: int | None) -> dict[str, Any]:
    return {
        "id": instance.id,
        "workflow_id": instance.workflow_id,
        "version": number,
        "input": instance.input,
        "trigger": instance.state.get("trigger") or {},
        "entity_type": instance.entity_type,
        "entity_id": instance.entity_id,
    }


async def start(
    runtime: Runtime,
    session: AsyncSession,
    workflow: Workflow,
    *,
    input: Mapping[str, Any] | None = None,
    trigger: Mapping[str, Any] | None = None,
    trigger_type: str = "manual",
    trigger_key: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    version_id: str | None = None,
    inline: bool = False,
    parent: tuple[str, str] | None = None,
    level: int = 0,
    instance_id: str | None = None,
) -> WorkflowInstance:
    """Create a run of ``workflow`` in the caller's transaction (or staging session).

    With ``inline`` the run advances right away, in this transaction, up to its first wait or
    second call out (webhooks answer with the result); otherwise a job starts it. In a staging
    session it may not call out at all (:class:`Unstageable`: run it in a transaction).
    """
    staging = STAGED in session.info
    instance_id = instance_id or new_id()
    if version_id is None:
        version_id, variant = pick_version(workflow, trigger_key or instance_id)
    else:
        variant = None
    graph = await GRAPHS.get(session, version_id)
    state = new_state(graph.definition.variables, graph.start)
    state["trigger"] = dict(trigger or {})
    instance = WorkflowInstance(
        id=instance_id,
        tenant_id=workflow.tenant_id,
        workflow_id=workflow.id,
        version_id=version_id,
        variant=variant,
        status="running",
        entity_type=entity_type,
        entity_id=entity_id,
        input=dict(input or {}),
        state=state,
        trigger_type=trigger_type,
        trigger_key=trigger_key,
        parent_id=parent[0] if parent else None,
        parent_token=parent[1] if parent else None,
        level=level,
        correlation_id=correlation_id.get(),
    )
    if inline:
        interp = _interpreter(runtime, session, instance, graph, call_out=not staging)
        segment = await interp.advance()
        if staging and segment.more:
            raise Unstageable("the run calls out before it waits or ends")
        await runtime.db.begin_write(session)
        settle(instance, interp, segment)  # one INSERT with the outcome, no UPDATE after
        session.add(instance)
        if not staging:
            await session.flush()
        await write(runtime, session, instance, interp, segment, new=True)
    else:
        await runtime.db.begin_write(session)
        session.add(instance)
        await runtime.queue.enqueue(session, run_job(instance.id, workflow.tenant_id))
        after_commit(session, runtime.wake_workers)
    return instance


async def start_grouped(runtime: Runtime, workflow: Workflow, **options: Any) -> WorkflowInstance:
    """Start a run and advance it right away, written by a group commit when it can be.

    The run advances in a staging session (reads only); its rows join other requests' rows in
    one shared transaction (one commit, one statement per table), a new contact and
    conversation included. A run that must write otherwise (it calls out first, …), or whose
    rows clash with another's (two runs started the same conversation), runs in its own
    transaction.
    """
    try:
        return await _start_staged(runtime, workflow, options)
    except (Unstageable, IntegrityError):
        pass
    try:
        return await _start_in_transaction(runtime, workflow, options)
    except IntegrityError:
        # A concurrent run started the same conversation first: it exists now.
        return await _start_in_transaction(runtime, workflow, options)


async def _start_in_transaction(
    runtime: Runtime, workflow: Workflow, options: dict[str, Any]
) -> WorkflowInstance:
    session = runtime.db.tenant_session(workflow.tenant_id)
    async with runtime.db.transaction(session, write=False):
        fresh = await session.get(Workflow, workflow.id)
        assert fresh is not None
        return await start(runtime, session, fresh, inline=True, **options)


async def _start_staged(
    runtime: Runtime, workflow: Workflow, options: dict[str, Any]
) -> WorkflowInstance:
    staged = Staged()
    session = runtime.db.tenant_session(workflow.tenant_id)
    session.info[STAGED] = staged
    session.sync_session.autoflush = False
    async with session:  # reads only: the caller's copy of the workflow serves as it is
        instance = await start(runtime, session, workflow, inline=True, **options)
        staged.collect(session)
        session.expunge_all()
    await runtime.intake.insert(staged.rows, staged.updates)
    for callback in staged.callbacks:
        callback()
    return instance


def _interpreter(
    runtime: Runtime,
    session: AsyncSession,
    instance: WorkflowInstance,
    graph: Graph,
    *,
    call_out: bool = True,
) -> Interpreter:
    return Interpreter(
        graph,
        NODES,
        instance.state,
        _effects(runtime, session, instance),
        instance=_instance_view(instance, graph.number),
        tenant_id=instance.tenant_id,
        now=utcnow(),
        level=instance.level,
        call_out=call_out,
    )


async def run(runtime: Runtime, session: AsyncSession, job: ClaimedJob) -> None:
    """Handle a ``workflow.run`` job: apply its command or wake, advance, persist."""
    instance = await session.get(WorkflowInstance, job.payload["instance_id"])
    if instance is None:
        return
    command = job.payload.get("command")
    if command is not None and command["op"] == "cancel":
        await cancel(runtime, session, instance, command.get("by"))
        return
    if command is None and instance.status in FINISHED:
        return
    graph = await GRAPHS.get(session, instance.version_id)
    instance.state = dict(instance.state)  # a new object, so the JSON column is written
    interp = _interpreter(runtime, session, instance, graph)
    if command is not None:
        if not _operate(interp, command):
            return
        instance.status, instance.error, instance.finished_at = "running", None, None
    wake = job.payload.get("wake")
    segment = await interp.advance(
        (wake["token"], Wake(wake["kind"], wake.get("data") or {})) if wake else None
    )
    await runtime.db.begin_write(session, inline=True)
    await persist(runtime, session, instance, interp, segment)


def _operate(interp: Interpreter, command: Mapping[str, Any]) -> bool:
    if command["op"] == "skip":
        return interp.skip(command["node_id"], command.get("reason", ""), command.get("by"))
    if command["op"] == "retry":
        return interp.retry_from(command["node_id"])
    return False


async def cancel(
    runtime: Runtime, session: AsyncSession, instance: WorkflowInstance, by: str | None
) -> None:
    """Stop a run (and its running children): its waits go, its timers find nothing to wake."""
    if instance.status in FINISHED:
        return
    await runtime.db.begin_write(session)
    state = dict(instance.state)
    state["tokens"] = []
    instance.state = state
    segment = Segment(finished="cancelled", error={"class": "cancelled", "by": by})
    await _finished(runtime, session, instance, segment)
    instance.status, instance.error = "cancelled", segment.error
    instance.finished_at = instance.updated_at = utcnow()
    children = await session.scalars(
        select(WorkflowInstance.id).where(
            WorkflowInstance.parent_id == instance.id,
            WorkflowInstance.status.not_in(FINISHED),
        )
    )
    for child_id in children:
        await runtime.queue.enqueue(
            session, run_job(child_id, instance.tenant_id, command={"op": "cancel", "by": by})
        )
    after_commit(session, runtime.wake_workers)


async def timer(runtime: Runtime, session: AsyncSession, job: ClaimedJob) -> None:
    """Handle a due ``workflow.timer``: hand the wake to the run's ordered job."""
    p = job.payload
    await runtime.db.begin_write(session)
    await runtime.queue.enqueue(
        session,
        run_job(
            p["instance_id"], job.tenant_id or "", wake={"token": p["token"], "kind": p["kind"]}
        ),
    )
    after_commit(session, runtime.wake_workers)


async def persist(
    runtime: Runtime,
    session: AsyncSession,
    instance: WorkflowInstance,
    interp: Interpreter,
    segment: Segment,
) -> None:
    """Write what a segment did, in the caller's (write) transaction."""
    await write(runtime, session, instance, interp, segment)
    settle(instance, interp, segment)


def settle(instance: WorkflowInstance, interp: Interpreter, segment: Segment) -> None:
    """Set the run's status, state and outcome after a segment (no statement is issued)."""
    interp.check_size()
    now = utcnow()
    instance.updated_at = now
    if segment.finished:
        instance.status = segment.finished
        instance.finished_at = now
        instance.output = segment.output
        instance.error = segment.error
    else:
        waiting = all(t.get("wait") for t in interp.state["tokens"])
        instance.status = "waiting" if waiting and not segment.more else "running"
    instance.state = interp.state


async def write(
    runtime: Runtime,
    session: AsyncSession,
    instance: WorkflowInstance,
    interp: Interpreter,
    segment: Segment,
    *,
    new: bool = False,
) -> None:
    """The rows of a segment: steps, waits, timers, children, the follow-up job, events.

    ``new``: the run's row was inserted in this very transaction (it has no waits to delete).
    """
    await _write_steps(session, instance, segment)
    gone = segment.resumed + segment.cancelled
    if gone and not new:
        await session.execute(
            delete(WorkflowWait).where(
                WorkflowWait.instance_id == instance.id, WorkflowWait.token.in_(gone)
            )
        )
    still = {t["id"] for t in interp.state["tokens"] if t.get("wait")}
    for parked in segment.parked:
        if parked.token in still:  # not parked and dropped in the same segment
            await _register(runtime, session, instance, parked.token, parked.node_id, parked.wait)
    if segment.more:
        await runtime.queue.enqueue(session, run_job(instance.id, instance.tenant_id))
    if segment.finished:
        await _finished(runtime, session, instance, segment, new=new)
    if segment.more or segment.parked or segment.finished:
        after_commit(session, runtime.wake_workers)


async def _write_steps(session: AsyncSession, instance: WorkflowInstance, segment: Segment) -> None:
    rows = []
    for record in segment.steps:
        values = {
            "status": record.status,
            "output": record.output,
            "handle": record.handle,
            "error": record.error,
            "explanation": record.explanation,
            "attempts": record.attempts,
            "finished_at": record.finished_at,
            "skip_reason": record.skip_reason,
            "skipped_by": record.skipped_by,
        }
        if record.resumed:
            await session.execute(
                update(WorkflowStep)
                .where(WorkflowStep.instance_id == instance.id, WorkflowStep.seq == record.seq)
                .values(**values)
            )
            continue
        rows.append(
            {
                **values,
                "id": new_id(),
                "created_at": record.started_at,
                "tenant_id": instance.tenant_id,
                "instance_id": instance.id,
                "seq": record.seq,
                "node_id": record.node_id,
                "node_type": record.node_type,
                "token": record.token,
                "input": record.input,
                "started_at": record.started_at,
            }
        )
    staged = session.info.get(STAGED)
    if staged is not None:
        staged.rows.extend((STEPS, row) for row in rows)
    elif rows:
        await session.execute(STEPS.insert(), rows)


async def _register(
    runtime: Runtime,
    session: AsyncSession,
    instance: WorkflowInstance,
    token: str,
    node_id: str,
    wait: Any,
) -> None:
    """Make a parked token wakeable: a timer job, and a wait row for event-like waits."""
    tenant = instance.tenant_id
    if wait.kind == "timer":
        await runtime.queue.enqueue(
            session, _timer_job(instance.id, tenant, token, "timer", wait.until)
        )
        return
    key = wait.key
    if wait.kind == "child":
        child_id = str(uuid.uuid5(_CHILD_NS, f"{instance.id}:{token}:{instance.state.get('seq')}"))
        key = f"child:{child_id}"
        await _start_child(runtime, session, instance, token, child_id, wait.data)
    session.add(
        WorkflowWait(
            tenant_id=tenant,
            instance_id=instance.id,
            token=token,
            node_id=node_id,
            kind=wait.kind,
            key=key,
            data=wait.data,
            deadline=wait.until,
        )
    )
    if wait.until is not None:
        await runtime.queue.enqueue(
            session, _timer_job(instance.id, tenant, token, "timeout", wait.until)
        )


async def _start_child(
    runtime: Runtime,
    session: AsyncSession,
    parent: WorkflowInstance,
    token: str,
    child_id: str,
    data: Mapping[str, Any],
) -> None:
    workflow = await session.scalar(
        select(Workflow).where(
            Workflow.id == data["workflow_id"], Workflow.tenant_id == parent.tenant_id
        )
    )
    if workflow is None:
        raise NotFound("The sub-workflow does not exist")
    await start(
        runtime,
        session,
        workflow,
        input=data.get("input") or {},
        trigger={"parent_id": parent.id},
        trigger_type="parent",
        trigger_key=f"parent:{child_id}",
        entity_type=parent.entity_type,
        entity_id=parent.entity_id,
        parent=(parent.id, token),
        level=parent.level + 1,
        instance_id=child_id,
    )


async def _finished(
    runtime: Runtime,
    session: AsyncSession,
    instance: WorkflowInstance,
    segment: Segment,
    *,
    new: bool = False,
) -> None:
    if not new:
        await session.execute(delete(WorkflowWait).where(WorkflowWait.instance_id == instance.id))
    await publish(
        session,
        instance.tenant_id,
        "workflow.instance_finished",
        {
            "instance_id": instance.id,
            "workflow_id": instance.workflow_id,
            "status": segment.finished,
        },
    )
    if instance.parent_id and instance.parent_token:
        await wake_parent(runtime, session, instance, segment)


async def wake_parent(
    runtime: Runtime, session: AsyncSession, child: WorkflowInstance, segment: Segment
) -> None:
    """Tell the parent run that ``child`` ended (as ``segment`` says)."""
    assert child.parent_id is not None
    await runtime.queue.enqueue(
        session,
        run_job(
            child.parent_id,
            child.tenant_id,
            wake={
                "token": child.parent_token,
                "kind": "child",
                "data": {
                    "instance_id": child.id,
                    "status": segment.finished,
                    "output": segment.output,
                    "error": segment.error,
                },
            },
        ),
    )
