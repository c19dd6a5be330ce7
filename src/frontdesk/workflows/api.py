"""Workflow routes: definitions, versions, activation, runs, operations, events, webhooks.

Thin: the work is in :mod:`service` and :mod:`runner`.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.auth import Principal
from frontdesk.core.deps import RuntimeDep, SessionDep, SnapshotDep, require
from frontdesk.core.errors import BadRequest, Forbidden, NotFound, ValidationFailed
from frontdesk.core.outbox import publish
from frontdesk.core.ratelimit import Bucket
from frontdesk.runtime import Runtime
from frontdesk.workflows import audit, runner, service
from frontdesk.workflows.catalog import catalog
from frontdesk.workflows.diff import diff
from frontdesk.workflows.models import Workflow, WorkflowInstance, WorkflowVersion, WorkflowWait
from frontdesk.workflows.nodes.registry import NODES
from frontdesk.workflows.schemas import (
    Accepted,
    Activate,
    ApprovalIn,
    Catalog,
    CopyIn,
    CustomEvent,
    InstallIn,
    InstanceDetail,
    InstancePublic,
    MetricPublic,
    RetryIn,
    ShadowIn,
    SimulateIn,
    SkipIn,
    StartRun,
    StepPublic,
    Timeline,
    Variants,
    VersionCreate,
    WebhookSecret,
    WorkflowCreate,
    WorkflowPublic,
    WorkflowUpdate,
    WorkflowVersionPublic,
)
from frontdesk.workflows.simulator import Sample, Trace, compare, replayed_responses, simulate
from frontdesk.workflows.templates import SAMPLES, TEMPLATES, sample_of
from frontdesk.workflows.triggers import SIGNATURE_HEADER, WEBHOOKS, verify
from frontdesk.workflows.validate import is_valid, validate

router = APIRouter(prefix="/api/v1", tags=["workflows"])
hooks = APIRouter(prefix="/webhooks", tags=["webhooks"])
Reader = Annotated[Principal, Depends(require("workflows:read"))]
Writer = Annotated[Principal, Depends(require("workflows:write"))]
Runner = Annotated[Principal, Depends(require("workflows:run"))]
Approver = Annotated[Principal, Depends(require("workflows:approve"))]


def actor(principal: Principal) -> str:
    """Who did it, for the audit log: the member, else the API key."""
    return principal.member_id or f"apikey:{principal.key_id}"


# -- definitions -------------------------------------------------------------------------


@router.get("/workflows", response_model=list[WorkflowPublic])
async def list_workflows(session: SessionDep, principal: Reader, bot: str | None = None) -> Any:
    """The tenant's workflows (of one bot)."""
    stmt = select(Workflow).where(Workflow.tenant_id == principal.tenant_id)
    if bot:
        stmt = stmt.where(Workflow.bot == bot)
    return list(await session.scalars(stmt.order_by(Workflow.bot, Workflow.name)))


@router.post("/workflows", response_model=WorkflowPublic, status_code=201)
async def create_workflow(body: WorkflowCreate, runtime: RuntimeDep, principal: Writer) -> Any:
    """A new workflow with a draft (validated when a version is made)."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        return await service.create(session, principal.tenant_id, actor(principal), body)


@router.post("/workflows/validate")
async def validate_definition(body: dict[str, Any], principal: Reader) -> dict[str, Any]:
    """Every problem of a definition (nothing is stored)."""
    problems = service.problems_of(body)
    return {"valid": not any(p.get("severity") == "error" for p in problems), "problems": problems}


@router.get("/workflows/{workflow_id}", response_model=WorkflowPublic)
async def get_workflow(workflow_id: str, session: SessionDep, principal: Reader) -> Any:
    """One workflow with its draft."""
    return await service.get(session, principal.tenant_id, workflow_id)


@router.patch("/workflows/{workflow_id}", response_model=WorkflowPublic)
async def update_workflow(
    workflow_id: str, body: WorkflowUpdate, runtime: RuntimeDep, principal: Writer
) -> Any:
    """Change the draft, name or description."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        workflow = await service.get(session, principal.tenant_id, workflow_id)
        return await service.update(session, workflow, actor(principal), body)


@router.delete("/workflows/{workflow_id}", status_code=204)
async def delete_workflow(workflow_id: str, runtime: RuntimeDep, principal: Writer) -> Response:
    """Delete a workflow, its versions and runs (its audit log stays)."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        workflow = await service.get(session, principal.tenant_id, workflow_id)
        await audit.append(
            session,
            principal.tenant_id,
            workflow.id,
            audit.DELETED,
            audit.DEFINITION,
            actor(principal),
            {"name": workflow.name},
        )
        await session.delete(workflow)
    return Response(status_code=204)


@router.get("/workflows/{workflow_id}/problems")
async def draft_problems(workflow_id: str, session: SessionDep, principal: Reader) -> Any:
    """Every problem of the draft."""
    workflow = await service.get(session, principal.tenant_id, workflow_id)
    return {"problems": service.problems_of(workflow.draft)}


@router.get("/workflows/{workflow_id}/versions", response_model=list[WorkflowVersionPublic])
async def list_versions(workflow_id: str, session: SessionDep, principal: Reader) -> Any:
    """Every version, newest first."""
    workflow = await service.get(session, principal.tenant_id, workflow_id)
    rows = await session.scalars(
        select(WorkflowVersion)
        .where(WorkflowVersion.workflow_id == workflow.id)
        .order_by(WorkflowVersion.number.desc())
    )
    return list(rows)


@router.post(
    "/workflows/{workflow_id}/versions", response_model=WorkflowVersionPublic, status_code=201
)
async def create_version(
    workflow_id: str, body: VersionCreate, runtime: RuntimeDep, principal: Writer
) -> Any:
    """Freeze the draft as a new immutable version (422 with every problem if it is invalid)."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        workflow = await service.get(session, principal.tenant_id, workflow_id)
        return await service.create_version(session, workflow, actor(principal), body.notes)


@router.get("/workflows/{workflow_id}/versions/{version_id}", response_model=WorkflowVersionPublic)
async def get_version(
    workflow_id: str, version_id: str, session: SessionDep, principal: Reader
) -> Any:
    """One version."""
    workflow = await service.get(session, principal.tenant_id, workflow_id)
    return await service.version(session, workflow, version_id)


@router.get("/workflows/{workflow_id}/diff")
async def diff_versions(
    workflow_id: str,
    session: SessionDep,
    principal: Reader,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str = "draft",
) -> Any:
    """Structural diff between two versions, or a version and the draft.

    ``from`` defaults to the active version.
    """
    workflow = await service.get(session, principal.tenant_id, workflow_id)
    from_ = from_ or workflow.active_version_id
    if from_ is None:
        raise NotFound("No version to compare from: the workflow has no active version")

    async def load(ref: str) -> dict[str, Any]:
        if ref == "draft":
            return workflow.draft
        return (await service.version(session, workflow, ref)).definition

    return diff(await load(from_), await load(to))


@router.post("/workflows/{workflow_id}/activate", response_model=WorkflowPublic)
async def activate(workflow_id: str, body: Activate, runtime: RuntimeDep, principal: Writer) -> Any:
    """Make a version the one new runs take (and install its triggers)."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        workflow = await service.get(session, principal.tenant_id, workflow_id)
        return await service.activate(session, workflow, body.version_id, actor(principal))


@router.post("/workflows/{workflow_id}/deactivate", response_model=WorkflowPublic)
async def deactivate(workflow_id: str, runtime: RuntimeDep, principal: Writer) -> Any:
    """Start no new runs (running ones finish)."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        workflow = await service.get(session, principal.tenant_id, workflow_id)
        return await service.deactivate(session, workflow, actor(principal))


@router.put("/workflows/{workflow_id}/variants", response_model=WorkflowPublic)
async def set_variants(
    workflow_id: str, body: Variants, runtime: RuntimeDep, principal: Writer
) -> Any:
    """Split new runs between versions by weight (A/B test)."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        workflow = await service.get(session, principal.tenant_id, workflow_id)
        return await service.set_variants(session, workflow, body.variants, actor(principal))


@router.post("/workflows/{workflow_id}/copy", response_model=WorkflowPublic, status_code=201)
async def copy_workflow(
    workflow_id: str, body: CopyIn, runtime: RuntimeDep, principal: Writer
) -> Any:
    """Copy the draft to another bot (or under another name)."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        workflow = await service.get(session, principal.tenant_id, workflow_id)
        return await service.copy(session, workflow, actor(principal), body.bot, body.name)


@router.post("/workflows/{workflow_id}/webhook-secret", response_model=WebhookSecret)
async def rotate_webhook_secret(
    workflow_id: str, request: Request, runtime: RuntimeDep, principal: Writer
) -> WebhookSecret:
    """A new signing secret for the workflow's webhook (shown once)."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        workflow = await service.get(session, principal.tenant_id, workflow_id)
        secret = await service.rotate_secret(session, runtime.keyring, workflow, actor(principal))
    base = runtime.settings.public_base_url or str(request.base_url)
    return WebhookSecret(
        url=f"{base.rstrip('/')}/webhooks/{principal.tenant_slug}/workflows/{workflow_id}",
        secret=secret,
        header=SIGNATURE_HEADER,
    )


@router.get("/workflows/{workflow_id}/metrics", response_model=list[MetricPublic])
async def workflow_metrics(
    workflow_id: str,
    runtime: RuntimeDep,
    principal: Reader,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
) -> Any:
    """Hourly rollups per version and A/B variant."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        workflow = await service.get(session, principal.tenant_id, workflow_id)
        return await service.metrics(session, workflow, from_, to)


# -- simulation and templates ------------------------------------------------------------


async def _child_loader(session: AsyncSession, tenant_id: str) -> Any:
    async def load(workflow_id: str) -> dict[str, Any] | None:
        row = await session.scalar(
            select(WorkflowVersion.definition)
            .join(Workflow, Workflow.active_version_id == WorkflowVersion.id)
            .where(Workflow.id == workflow_id, Workflow.tenant_id == tenant_id)
        )
        return row

    return load


async def _simulate(
    session: AsyncSession, tenant_id: str, definition: dict[str, Any], sample: Sample
) -> Trace:
    problems = validate(definition, NODES)
    if not is_valid(problems):
        raise service.InvalidWorkflow(
            "The definition has problems",
            problems=[p.model_dump(exclude_none=True) for p in problems],
        )
    return await simulate(
        definition, sample, tenant_id=tenant_id, load_child=await _child_loader(session, tenant_id)
    )


@router.post("/workflows/{workflow_id}/simulate")
async def simulate_workflow(
    workflow_id: str, body: SimulateIn, session: SessionDep, principal: Reader
) -> dict[str, Any]:
    """Run the draft (or a version, or a given definition) on sample data, side-effect free."""
    workflow = await service.get(session, principal.tenant_id, workflow_id)
    if body.definition is not None:
        definition = body.definition
    elif body.version_id:
        definition = (await service.version(session, workflow, body.version_id)).definition
    else:
        definition = workflow.draft
    sample = Sample(
        input=body.input
        if body.input is not None
        else dict(SAMPLES.get(body.entity_type or "", {})),
        trigger=body.trigger,
        entity_type=body.entity_type,
        entity_id=body.entity_id,
        responses=body.responses,
        events=body.events,
        approvals=dict(body.approvals),
    )
    trace = await _simulate(session, principal.tenant_id, definition, sample)
    return {**asdict(trace), "path": trace.path}


@router.post("/workflows/{workflow_id}/shadow")
async def shadow_run(
    workflow_id: str, body: ShadowIn, session: SessionDep, principal: Reader
) -> dict[str, Any]:
    """Replay the active version's recent finished runs through a draft and compare paths."""
    workflow = await service.get(session, principal.tenant_id, workflow_id)
    if workflow.active_version_id is None:
        raise NotFound("The workflow has no active version to compare with")
    definition = body.definition if body.definition is not None else workflow.draft
    runs = await session.scalars(
        select(WorkflowInstance)
        .where(
            WorkflowInstance.workflow_id == workflow.id,
            WorkflowInstance.version_id == workflow.active_version_id,
            WorkflowInstance.status.in_(("completed", "failed")),
        )
        .order_by(WorkflowInstance.id.desc())
        .limit(body.limit)
    )
    results = []
    for run in runs:
        live = [
            StepPublic.model_validate(s).model_dump() for s in await service.steps(session, run.id)
        ]
        sample = Sample(
            input=run.input,
            trigger=run.state.get("trigger") or {},
            entity_type=run.entity_type,
            entity_id=run.entity_id,
            responses=replayed_responses(live),
        )
        trace = await _simulate(session, principal.tenant_id, definition, sample)
        outcome = compare(live, run.output, trace)
        results.append({"instance_id": run.id, **outcome})
    same = sum(1 for r in results if r["same_path"])
    return {
        "compared": len(results),
        "same_path": same,
        "different": len(results) - same,
        "runs": results,
    }


@router.get("/workflow-node-types", response_model=Catalog)
async def node_types(principal: Reader) -> Catalog:
    """Node types, trigger kinds, event types and rule operators: the builder's catalog."""
    return catalog()


@router.get("/workflow-templates")
async def list_templates(principal: Reader) -> list[dict[str, Any]]:
    """The ready-made workflows, with their definitions and simulator samples."""
    return [
        {
            "key": key,
            "name": t["name"],
            "description": t["description"],
            "entity_type": t["entity_type"],
            "definition": t["definition"],
            "sample": sample_of(key),
        }
        for key, t in TEMPLATES.items()
    ]


@router.get("/workflow-samples")
async def list_samples(principal: Reader) -> dict[str, Any]:
    """Sample input per entity type, for the simulator."""
    return SAMPLES


@router.post(
    "/workflow-templates/{template_key}/install", response_model=WorkflowPublic, status_code=201
)
async def install_template(
    template_key: str, body: InstallIn, runtime: RuntimeDep, principal: Writer
) -> Any:
    """Install a template as a new workflow (version 1, active unless asked otherwise)."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        return await service.install(
            session,
            principal.tenant_id,
            actor(principal),
            template_key,
            body.bot,
            body.name,
            activate_it=body.activate,
        )


# -- runs --------------------------------------------------------------------------------


@router.post("/workflows/{workflow_id}/runs", response_model=InstancePublic, status_code=201)
async def start_run(
    workflow_id: str, body: StartRun, runtime: RuntimeDep, principal: Runner
) -> Any:
    """Start a run (manual / API) on the active version, an A/B variant, or a given version."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        workflow = await service.get(session, principal.tenant_id, workflow_id)
        if body.version_id:
            await service.version(session, workflow, body.version_id)
        key = f"api:{body.idempotency_key}" if body.idempotency_key else None
        if key and (seen := await runner.started(session, workflow.id, key)):
            return seen
        return await runner.start(
            runtime,
            session,
            workflow,
            input=body.input,
            trigger={"by": actor(principal)},
            trigger_type="manual",
            trigger_key=key,
            entity_type=body.entity_type,
            entity_id=body.entity_id,
            version_id=body.version_id,
        )


@router.get("/workflow-instances", response_model=list[InstancePublic])
async def list_instances(
    session: SessionDep,
    principal: Reader,
    workflow_id: str | None = None,
    status: str | None = None,
    version_id: str | None = None,
    started_from: AwareDatetime | None = None,
    started_to: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    """Runs, newest first (``started_from`` / ``started_to`` bound their start time)."""
    if started_from and started_to and started_from > started_to:
        raise ValidationFailed("'started_from' is after 'started_to'")
    stmt = select(WorkflowInstance).where(WorkflowInstance.tenant_id == principal.tenant_id)
    if workflow_id:
        stmt = stmt.where(WorkflowInstance.workflow_id == workflow_id)
    if status:
        stmt = stmt.where(WorkflowInstance.status == status)
    if version_id:
        stmt = stmt.where(WorkflowInstance.version_id == version_id)
    if started_from:
        stmt = stmt.where(WorkflowInstance.started_at >= started_from)
    if started_to:
        stmt = stmt.where(WorkflowInstance.started_at <= started_to)
    stmt = stmt.order_by(WorkflowInstance.id.desc()).limit(limit).offset(offset)
    return list(await session.scalars(stmt))


@router.get("/workflow-instances/{instance_id}", response_model=InstanceDetail)
async def get_instance(instance_id: str, session: SnapshotDep, principal: Reader) -> Any:
    """A run with its steps (node instances) and what it waits for."""
    run = await service.instance(session, principal.tenant_id, instance_id)
    detail = InstanceDetail.model_validate(run)
    detail.steps = [StepPublic.model_validate(s) for s in await service.steps(session, run.id)]
    waits = await session.scalars(select(WorkflowWait).where(WorkflowWait.instance_id == run.id))
    detail.waiting = [
        {"node_id": w.node_id, "kind": w.kind, "deadline": w.deadline, "data": w.data}
        for w in waits
    ]
    return detail


@router.get("/workflow-instances/{instance_id}/timeline", response_model=Timeline)
async def get_timeline(instance_id: str, session: SnapshotDep, principal: Reader) -> Timeline:
    """Gantt data: one bar per step."""
    run = await service.instance(session, principal.tenant_id, instance_id)
    return await service.timeline(session, run)


async def _command(
    runtime: Runtime, principal: Principal, instance_id: str, event: str, command: dict[str, Any]
) -> Accepted:
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        run = await service.instance(session, principal.tenant_id, instance_id)
        command["by"] = actor(principal)
        await runtime.queue.enqueue(session, runner.run_job(run.id, run.tenant_id, command=command))
        await audit.append(
            session,
            run.tenant_id,
            run.workflow_id,
            event,
            audit.OPERATION,
            actor(principal),
            {"instance_id": run.id, **command},
        )
    runtime.wake_workers()
    return Accepted(instance_id=instance_id)


@router.post("/workflow-instances/{instance_id}/cancel", response_model=Accepted, status_code=202)
async def cancel(instance_id: str, runtime: RuntimeDep, principal: Runner) -> Accepted:
    """Cancel a run (and its sub-workflow runs)."""
    return await _command(
        runtime, principal, instance_id, audit.INSTANCE_CANCELLED, {"op": "cancel"}
    )


@router.post(
    "/workflow-instances/{instance_id}/skip-node/{node_id}",
    response_model=Accepted,
    status_code=202,
)
async def skip_node(
    instance_id: str, node_id: str, body: SkipIn, runtime: RuntimeDep, principal: Runner
) -> Accepted:
    """Go past a waiting, retrying or failed node as if it succeeded (reason recorded)."""
    command = {"op": "skip", "node_id": node_id, "reason": body.reason}
    return await _command(runtime, principal, instance_id, audit.NODE_SKIPPED, command)


@router.post("/workflow-instances/{instance_id}/retry", response_model=Accepted, status_code=202)
async def retry(
    instance_id: str, body: RetryIn, runtime: RuntimeDep, principal: Runner
) -> Accepted:
    """Run again from a node, with the run's variables as they are."""
    command = {"op": "retry", "node_id": body.node_id}
    return await _command(runtime, principal, instance_id, audit.INSTANCE_RETRIED, command)


@router.post(
    "/workflow-instances/{instance_id}/approvals/{node_id}",
    response_model=Accepted,
    status_code=202,
)
async def decide(
    instance_id: str, node_id: str, body: ApprovalIn, runtime: RuntimeDep, principal: Approver
) -> Accepted:
    """Approve or reject a run waiting at an approval node (allowed roles and approvers only)."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        run = await service.instance(session, principal.tenant_id, instance_id)
        wait = await session.scalar(
            select(WorkflowWait).where(
                WorkflowWait.instance_id == run.id,
                WorkflowWait.node_id == node_id,
                WorkflowWait.kind == "approval",
            )
        )
        if wait is None:
            raise NotFound("The run is not waiting for an approval at this node")
        _check_approver(principal, wait.data)
        data = {"decision": body.decision, "comment": body.comment, "by": actor(principal)}
        await session.delete(wait)
        await runtime.queue.enqueue(
            session,
            runner.run_job(
                run.id, run.tenant_id, wake={"token": wait.token, "kind": "approval", "data": data}
            ),
        )
    runtime.wake_workers()
    return Accepted(instance_id=instance_id)


def _check_approver(principal: Principal, rules: dict[str, Any]) -> None:
    if principal.role.value not in rules.get("allowed_roles", []):
        raise Forbidden(f"Role {principal.role.value!r} may not decide this approval")
    approvers = rules.get("approvers") or []
    if approvers and principal.member_id not in approvers:
        raise Forbidden("Only the named approvers may decide this approval")
    if rules.get("require_mfa") and not principal.mfa:
        raise Forbidden(
            "This approval requires a console login with a second factor (MFA): log in with "
            "your authenticator code (API keys and password-only logins may not decide it)"
        )


# -- events and webhooks -----------------------------------------------------------------


@router.post("/events", status_code=202)
async def post_event(body: CustomEvent, runtime: RuntimeDep, principal: Runner) -> dict[str, str]:
    """Publish a custom domain event (``custom.<type>``) that workflows can trigger on."""
    async with runtime.db.tenant_tx(principal.tenant_id) as session:
        event_id = await publish(session, principal.tenant_id, f"custom.{body.type}", body.payload)
    runtime.outbox.wake.set()
    return {"event_id": event_id, "type": f"custom.{body.type}"}


@hooks.post("/{tenant}/workflows/{workflow_id}")
async def workflow_webhook(
    tenant: str, workflow_id: str, request: Request, runtime: RuntimeDep
) -> Any:
    """Start a run from a signed webhook; it runs right away up to its first wait.

    The answer carries the run's status and, when it completed, its output. An
    ``Idempotency-Key`` header makes a retried delivery return the first run.
    """
    info = await runtime.tenants.by_slug(tenant)
    s = runtime.settings
    await runtime.limiter.hit(
        Bucket(f"webhook:tenant:{info.id}", s.webhook_rate_per_tenant, s.webhook_burst_per_tenant)
    )
    body = await request.body()
    hook = await WEBHOOKS.of(runtime, info.id, workflow_id)
    if hook is None:
        raise NotFound("No such workflow webhook")
    verify(hook.secret, body, request.headers.get(SIGNATURE_HEADER))
    try:
        payload = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError as e:
        raise BadRequest(f"Malformed JSON: {e}") from e
    if not isinstance(payload, dict):
        raise BadRequest("The body must be a JSON object")
    workflow = hook.workflow
    key = request.headers.get("idempotency-key")
    trigger_key = f"webhook:{key[:150]}" if key else None
    if trigger_key:
        async with runtime.db.tenant_session(info.id) as session:
            if seen := await runner.started(session, workflow.id, trigger_key):
                return _webhook_answer(seen)
    try:
        run = await runner.start_grouped(
            runtime,
            workflow,
            input=payload,
            trigger={"webhook": True, **payload},
            trigger_type="webhook",
            trigger_key=trigger_key,
        )
    except IntegrityError:
        if trigger_key is None:
            raise
        async with runtime.db.tenant_session(info.id) as session:  # a concurrent redelivery
            seen = await runner.started(session, workflow.id, trigger_key)
        if seen is None:
            raise
        return _webhook_answer(seen)
    return _webhook_answer(run)


def _webhook_answer(run: WorkflowInstance) -> dict[str, Any]:
    return {"instance_id": run.id, "status": run.status, "output": run.output, "error": run.error}
