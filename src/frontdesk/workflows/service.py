"""Workflow services: drafts, versions, activation, variants, copies, runs, timelines, metrics.

Every definition change and activation lands in the workflow's hash-chained audit log.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from frontdesk.core.clock import utcnow
from frontdesk.core.crypto import KeyRing
from frontdesk.core.db import after_commit
from frontdesk.core.errors import Conflict, FrontdeskError, NotFound
from frontdesk.tenants.models import Member
from frontdesk.vault.service import record_reference
from frontdesk.workflows import audit
from frontdesk.workflows.definition import Definition
from frontdesk.workflows.models import (
    Workflow,
    WorkflowInstance,
    WorkflowMetric,
    WorkflowStep,
    WorkflowTrigger,
    WorkflowVersion,
)
from frontdesk.workflows.nodes.registry import NODES
from frontdesk.workflows.schemas import (
    Timeline,
    TimelineEntry,
    Variant,
    WorkflowCreate,
    WorkflowUpdate,
)
from frontdesk.workflows.triggers import TRIGGERS, WEBHOOKS, next_run
from frontdesk.workflows.validate import is_valid, validate

_SECRET_AAD = b"workflow-webhook"
_SECRETS: dict[bytes, str] = {}
"""Decrypted webhook secrets by ciphertext (a rotation changes the ciphertext)."""


class InvalidWorkflow(FrontdeskError):
    """The definition has problems (listed in ``problems``)."""

    status, code, title = 422, "invalid_workflow", "Invalid workflow"


class DraftConflict(Conflict):
    """The draft changed since the editor loaded it (someone else saved)."""

    code, title = "draft_conflict", "The draft was changed by someone else"


def problems_of(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """Every problem of a definition, as JSON."""
    return [p.model_dump(exclude_none=True) for p in validate(raw, NODES)]


async def get(session: AsyncSession, tenant_id: str, workflow_id: str) -> Workflow:
    """One workflow of the tenant, or 404."""
    workflow = await session.scalar(
        select(Workflow).where(Workflow.id == workflow_id, Workflow.tenant_id == tenant_id)
    )
    if workflow is None:
        raise NotFound("No such workflow")
    return workflow


async def _name_free(session: AsyncSession, tenant_id: str, bot: str, name: str) -> None:
    taken = await session.scalar(
        select(Workflow.id).where(
            Workflow.tenant_id == tenant_id, Workflow.bot == bot, Workflow.name == name
        )
    )
    if taken is not None:
        raise Conflict(f"The bot {bot!r} already has a workflow named {name!r}")


def _shape(raw: dict[str, Any]) -> dict[str, Any]:
    """The draft as stored: it must parse as a definition (its graph may still be incomplete)."""
    try:
        return Definition.model_validate(raw).model_dump(mode="json", exclude_none=True)
    except ValueError as e:
        raise InvalidWorkflow(str(e).splitlines()[0], problems=problems_of(raw)) from e


async def create(
    session: AsyncSession,
    tenant_id: str,
    actor: str,
    data: WorkflowCreate,
    *,
    template: str | None = None,
) -> Workflow:
    """A new workflow with its draft."""
    await _name_free(session, tenant_id, data.bot, data.name)
    workflow = Workflow(
        tenant_id=tenant_id,
        bot=data.bot,
        name=data.name,
        description=data.description,
        owner_id=actor,
        draft=_shape(data.definition),
        template=template,
        updated_by=actor,
    )
    session.add(workflow)
    await session.flush()
    event = audit.INSTALLED if template else audit.CREATED
    await audit.append(
        session,
        tenant_id,
        workflow.id,
        event,
        audit.DEFINITION,
        actor,
        {"name": data.name, "bot": data.bot, "template": template},
    )
    return workflow


async def update(
    session: AsyncSession, workflow: Workflow, actor: str, data: WorkflowUpdate
) -> Workflow:
    """Change the draft, name or description (refused if the draft moved past ``base_revision``)."""
    if data.base_revision is not None:
        await _claim_revision(session, workflow, data.base_revision)
    elif data.definition is not None:
        workflow.draft_revision += 1
    changed: dict[str, Any] = {}
    if data.name is not None and data.name != workflow.name:
        await _name_free(session, workflow.tenant_id, workflow.bot, data.name)
        changed["name"] = {"old": workflow.name, "new": data.name}
        workflow.name = data.name
    if data.description is not None:
        workflow.description = data.description
        changed["description"] = True
    if data.definition is not None:
        from frontdesk.workflows.diff import diff

        new = _shape(data.definition)
        changed["definition"] = diff(workflow.draft, new).summary
        workflow.draft = new
    workflow.updated_at, workflow.updated_by = utcnow(), actor
    await audit.append(
        session, workflow.tenant_id, workflow.id, audit.MODIFIED, audit.DEFINITION, actor, changed
    )
    return workflow


async def _claim_revision(session: AsyncSession, workflow: Workflow, base: int) -> None:
    """Move the draft from revision ``base`` to the next one, or raise :class:`DraftConflict`.

    A compare-and-set in the database: of two editors saving on the same revision, one wins.
    """
    moved = await session.execute(
        sql_update(Workflow)
        .where(Workflow.id == workflow.id, Workflow.draft_revision == base)
        .values(draft_revision=base + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) == 1:
        set_committed_value(workflow, "draft_revision", base + 1)
        return
    await session.refresh(workflow)
    raise DraftConflict(
        f"{await _who(session, workflow.updated_by)} saved this workflow at "
        f"{workflow.updated_at:%Y-%m-%d %H:%M:%S} UTC (revision {workflow.draft_revision});"
        f" your changes were made on revision {base}. Reload to see their version, or"
        " overwrite it with yours.",
        revision=workflow.draft_revision,
        saved_by=workflow.updated_by,
        saved_at=workflow.updated_at.isoformat(),
    )


async def _who(session: AsyncSession, actor: str | None) -> str:
    """A readable name for an audit actor (a member's name or e-mail, else the API key)."""
    if actor is None:
        return "Someone"
    if actor.startswith("apikey:"):
        return f"API key {actor.removeprefix('apikey:')}"
    member = await session.get(Member, actor)
    if member is None:
        return f"Member {actor}"
    return member.name or member.email


async def create_version(
    session: AsyncSession, workflow: Workflow, actor: str, notes: str
) -> WorkflowVersion:
    """Freeze the draft as the next version; refused (422, every problem listed) if invalid."""
    problems = validate(workflow.draft, NODES)
    if not is_valid(problems):
        raise InvalidWorkflow(
            "The draft has problems", problems=[p.model_dump(exclude_none=True) for p in problems]
        )
    last = await session.scalar(
        select(WorkflowVersion)
        .where(WorkflowVersion.workflow_id == workflow.id)
        .order_by(WorkflowVersion.number.desc())
        .limit(1)
    )
    version = WorkflowVersion(
        tenant_id=workflow.tenant_id,
        workflow_id=workflow.id,
        number=(last.number + 1) if last else 1,
        definition=workflow.draft,
        notes=notes,
        parent_id=workflow.active_version_id or (last.id if last else None),
        author_id=actor,
    )
    session.add(version)
    await session.flush()
    after_commit(session, lambda: TRIGGERS.forget(workflow.tenant_id))  # its waits, maybe
    await audit.append(
        session,
        workflow.tenant_id,
        workflow.id,
        audit.VERSION_CREATED,
        audit.VERSION,
        actor,
        {"version_id": version.id, "number": version.number, "notes": notes},
    )
    return version


async def version(session: AsyncSession, workflow: Workflow, version_id: str) -> WorkflowVersion:
    """One version of ``workflow``, or 404."""
    row = await session.scalar(
        select(WorkflowVersion).where(
            WorkflowVersion.id == version_id, WorkflowVersion.workflow_id == workflow.id
        )
    )
    if row is None:
        raise NotFound("No such version of this workflow")
    return row


async def activate(
    session: AsyncSession, workflow: Workflow, version_id: str, actor: str
) -> Workflow:
    """Make ``version_id`` the one new runs take, and install its triggers."""
    row = await version(session, workflow, version_id)
    await _reference_credentials(session, workflow, row)
    previous = workflow.active_version_id
    workflow.active_version_id = row.id
    workflow.updated_at, workflow.updated_by = utcnow(), actor
    await _install_triggers(session, workflow, row)
    await audit.append(
        session,
        workflow.tenant_id,
        workflow.id,
        audit.ACTIVATED,
        audit.DEPLOYMENT,
        actor,
        {"version_id": row.id, "number": row.number, "previous": previous},
    )
    return workflow


async def _reference_credentials(
    session: AsyncSession, workflow: Workflow, row: WorkflowVersion
) -> None:
    """Note in the vault every credential the version uses (its usage, revocation's dependents).

    Refused (409) when one is missing, revoked or archived: the version could not run.
    """
    for credential_id in sorted(credentials_used(row.definition)):
        await record_reference(session, workflow.tenant_id, credential_id, "workflow", workflow.id)


def credentials_used(definition: dict[str, Any]) -> set[str]:
    """The ids of the vault credentials a workflow definition's nodes use."""
    used: set[str] = set()
    for spec in Definition.model_validate(definition).nodes:
        node = NODES.get(spec.type)
        if node is not None:
            used.update(node.credentials(node.Config.model_validate(spec.data)))
    return used


async def deactivate(session: AsyncSession, workflow: Workflow, actor: str) -> Workflow:
    """Stop starting new runs (running ones finish on their version)."""
    previous = workflow.active_version_id
    workflow.active_version_id = None
    workflow.variants = []
    await session.execute(delete(WorkflowTrigger).where(WorkflowTrigger.workflow_id == workflow.id))
    _deployment_changed(session, workflow)
    await audit.append(
        session,
        workflow.tenant_id,
        workflow.id,
        audit.DEACTIVATED,
        audit.DEPLOYMENT,
        actor,
        {"previous": previous},
    )
    return workflow


def _deployment_changed(session: AsyncSession, workflow: Workflow) -> None:
    """After commit, drop this process's cached triggers and webhooks of the tenant."""

    def forget() -> None:
        TRIGGERS.forget(workflow.tenant_id)
        WEBHOOKS.forget(workflow.tenant_id)

    after_commit(session, forget)


async def _install_triggers(
    session: AsyncSession, workflow: Workflow, row: WorkflowVersion
) -> None:
    await session.execute(delete(WorkflowTrigger).where(WorkflowTrigger.workflow_id == workflow.id))
    now = utcnow()
    for spec in Definition.model_validate(row.definition).triggers:
        session.add(
            WorkflowTrigger(
                tenant_id=workflow.tenant_id,
                workflow_id=workflow.id,
                version_id=row.id,
                type=spec.type,
                event=spec.event,
                config=spec.model_dump(exclude_none=True),
                next_run_at=next_run(spec.cron, spec.timezone, now) if spec.cron else None,
            )
        )
    _deployment_changed(session, workflow)


async def set_variants(
    session: AsyncSession, workflow: Workflow, variants: list[Variant], actor: str
) -> Workflow:
    """Split new runs between versions by weight (A/B)."""
    for variant in variants:
        await _reference_credentials(
            session, workflow, await version(session, workflow, variant.version_id)
        )
    if variants and workflow.active_version_id is None:
        raise Conflict("Activate a version before splitting traffic")
    workflow.variants = [v.model_dump() for v in variants]
    _deployment_changed(session, workflow)
    await audit.append(
        session,
        workflow.tenant_id,
        workflow.id,
        audit.VARIANTS_CHANGED,
        audit.DEPLOYMENT,
        actor,
        {"variants": workflow.variants},
    )
    return workflow


async def copy(
    session: AsyncSession, workflow: Workflow, actor: str, bot: str, name: str | None
) -> Workflow:
    """A new workflow on ``bot`` with this one's draft."""
    data = WorkflowCreate(
        name=name or workflow.name,
        bot=bot,
        description=workflow.description,
        definition=workflow.draft,
    )
    new = await create(session, workflow.tenant_id, actor, data)
    await audit.append(
        session,
        workflow.tenant_id,
        workflow.id,
        audit.COPIED,
        audit.DEFINITION,
        actor,
        {"to_workflow_id": new.id, "bot": bot},
    )
    return new


async def rotate_secret(
    session: AsyncSession, keyring: KeyRing, workflow: Workflow, actor: str
) -> str:
    """A new webhook signing secret (returned once; stored encrypted)."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    workflow.webhook_secret = await keyring.encrypt(
        session, workflow.tenant_id, secret.encode(), _SECRET_AAD + workflow.id.encode()
    )
    _deployment_changed(session, workflow)
    await audit.append(
        session, workflow.tenant_id, workflow.id, audit.WEBHOOK_ROTATED, audit.OPERATION, actor, {}
    )
    return secret


async def webhook_secret(session: AsyncSession, keyring: KeyRing, workflow: Workflow) -> str | None:
    """The workflow's webhook secret, decrypted (``None`` before the first rotation)."""
    blob = workflow.webhook_secret
    if blob is None:
        return None
    secret = _SECRETS.get(blob)
    if secret is None:
        plain = await keyring.decrypt(
            session, workflow.tenant_id, blob, _SECRET_AAD + workflow.id.encode()
        )
        if len(_SECRETS) >= 4096:
            _SECRETS.clear()
        secret = _SECRETS[blob] = plain.decode()
    return secret


# -- runs --------------------------------------------------------------------------------


async def instance(session: AsyncSession, tenant_id: str, instance_id: str) -> WorkflowInstance:
    """One run of the tenant, or 404."""
    row = await session.scalar(
        select(WorkflowInstance).where(
            WorkflowInstance.id == instance_id, WorkflowInstance.tenant_id == tenant_id
        )
    )
    if row is None:
        raise NotFound("No such workflow run")
    return row


async def steps(session: AsyncSession, instance_id: str) -> list[WorkflowStep]:
    """The steps of a run, in order."""
    rows = await session.scalars(
        select(WorkflowStep)
        .where(WorkflowStep.instance_id == instance_id)
        .order_by(WorkflowStep.seq)
    )
    return list(rows)


def _ms(start: datetime, end: datetime | None) -> float | None:
    return round((end - start).total_seconds() * 1000, 3) if end else None


async def timeline(session: AsyncSession, run: WorkflowInstance) -> Timeline:
    """The Gantt data of a run."""
    rows = await steps(session, run.id)
    graph = Definition.model_validate(
        await session.scalar(
            select(WorkflowVersion.definition).where(WorkflowVersion.id == run.version_id)
        )
        or {}
    )
    labels = {n.id: n.data.get("label") for n in graph.nodes}
    done = [r for r in rows if r.status in ("completed", "skipped")]
    return Timeline(
        instance_id=run.id,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_ms=_ms(run.started_at, run.finished_at),
        total_steps=len(rows),
        success_rate=round(len(done) / len(rows), 4) if rows else 1.0,
        entries=[
            TimelineEntry(
                seq=r.seq,
                node_id=r.node_id,
                node_type=r.node_type,
                label=labels.get(r.node_id),
                token=r.token,
                status=r.status,
                start=r.started_at,
                end=r.finished_at,
                duration_ms=_ms(r.started_at, r.finished_at),
                attempts=r.attempts,
            )
            for r in rows
        ],
    )


# -- metrics -----------------------------------------------------------------------------


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


async def rollup(session: AsyncSession, workflow: Workflow, since: datetime) -> None:
    """Recompute the hourly metrics of ``workflow`` from ``since`` (rounded down to the hour)."""
    since = _hour(since)
    runs = await session.execute(
        select(
            WorkflowInstance.version_id,
            WorkflowInstance.variant,
            WorkflowInstance.status,
            WorkflowInstance.started_at,
            WorkflowInstance.finished_at,
            func.count(WorkflowStep.id),
        )
        .outerjoin(WorkflowStep, WorkflowStep.instance_id == WorkflowInstance.id)
        .where(WorkflowInstance.workflow_id == workflow.id, WorkflowInstance.started_at >= since)
        .group_by(WorkflowInstance.id)
    )
    buckets: dict[tuple[str, str, datetime], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(
            (
                "started",
                "completed",
                "failed",
                "cancelled",
                "duration_ms_total",
                "duration_ms_max",
                "steps",
            ),
            0,
        )
    )
    for version_id, variant, status, started, finished, count in runs:
        b = buckets[(version_id, variant or "", _hour(started))]
        b["started"] += 1
        b["steps"] += count
        if status in ("completed", "failed", "cancelled"):
            b[status] += 1
        if finished is not None:
            ms = int((finished - started).total_seconds() * 1000)
            b["duration_ms_total"] += ms
            b["duration_ms_max"] = max(b["duration_ms_max"], ms)
    await session.execute(
        delete(WorkflowMetric).where(
            WorkflowMetric.workflow_id == workflow.id, WorkflowMetric.hour >= since
        )
    )
    for (version_id, variant, hour), values in buckets.items():
        session.add(
            WorkflowMetric(
                tenant_id=workflow.tenant_id,
                workflow_id=workflow.id,
                version_id=version_id,
                variant=variant,
                hour=hour,
                **values,
            )
        )


async def metrics(
    session: AsyncSession, workflow: Workflow, since: datetime | None, until: datetime | None
) -> list[WorkflowMetric]:
    """Hourly rollups (the last two hours recomputed first, so they are current)."""
    await rollup(session, workflow, utcnow() - timedelta(hours=1))
    stmt = select(WorkflowMetric).where(WorkflowMetric.workflow_id == workflow.id)
    if since:
        stmt = stmt.where(WorkflowMetric.hour >= _hour(since))
    if until:
        stmt = stmt.where(WorkflowMetric.hour <= until)
    return list(
        await session.scalars(stmt.order_by(WorkflowMetric.hour, WorkflowMetric.version_id))
    )


# -- templates ---------------------------------------------------------------------------


async def install(
    session: AsyncSession,
    tenant_id: str,
    actor: str,
    key: str,
    bot: str,
    name: str | None,
    *,
    activate_it: bool = True,
) -> Workflow:
    """Install template ``key`` as a workflow of ``bot`` with version 1 (active if asked)."""
    from frontdesk.workflows.templates import TEMPLATES

    template = TEMPLATES.get(key)
    if template is None:
        raise NotFound("No such template")
    data = WorkflowCreate(
        name=name or template["name"],
        bot=bot,
        description=template["description"],
        definition=template["definition"],
    )
    workflow = await create(session, tenant_id, actor, data, template=key)
    first = await create_version(session, workflow, actor, f"Installed from template {key}")
    if activate_it:
        await activate(session, workflow, first.id, actor)
    return workflow
