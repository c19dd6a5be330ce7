"""Assessment services: definitions and their versions, results, and the steps of a run.

The CRUD functions commit; the run functions (:func:`start_run`, :func:`record_answer`,
:func:`finish`) write in the caller's transaction, which for the handler is the message's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assessments.models import Assessment, AssessmentResult, AssessmentVersion
from frontdesk.assessments.schemas import (
    AssessmentDefinition,
    AssessmentIn,
    AssessmentQuestion,
    ScoreBand,
)
from frontdesk.core.clock import utcnow
from frontdesk.core.errors import Conflict, NotFound, ValidationFailed
from frontdesk.core.ids import new_id
from frontdesk.core.logging import get_logger
from frontdesk.core.outbox import publish
from frontdesk.workflows.rules import evaluate

log = get_logger("frontdesk.assessments")

COMPLETED = "assessment.completed"
"""The event published when a run ends with a score."""


# -- definitions ------------------------------------------------------------------------------


async def create(session: AsyncSession, tenant_id: str, data: AssessmentIn) -> Assessment:
    """Store a new assessment as version 1 and commit; :class:`Conflict` for a taken key."""
    if await find(session, tenant_id, data.key) is not None:
        raise Conflict(f"An assessment with the key {data.key!r} exists")
    assessment = Assessment(
        id=new_id(),
        tenant_id=tenant_id,
        key=data.key,
        title=data.title,
        version=1,
        enabled=data.enabled,
        definition=data.stored(),
    )
    session.add_all([assessment, _snapshot(assessment)])
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"An assessment with the key {data.key!r} exists") from None
    return assessment


async def replace(
    session: AsyncSession, tenant_id: str, key: str, data: AssessmentIn
) -> Assessment:
    """Replace the definition and commit; a changed definition gets the next version number.

    ``enabled`` changes only when the body gives it: editing a disabled assessment's questions
    must not put it back in front of customers.
    """
    if data.key != key:
        raise ValidationFailed(
            "The definition's key differs from the assessment's",
            errors=[{"loc": ["body", "key"], "msg": f"must be {key!r}", "type": "value_error"}],
        )
    assessment = await get(session, tenant_id, key)
    definition = data.stored()
    if "enabled" in data.model_fields_set:
        assessment.enabled = data.enabled
    if definition != assessment.definition:
        assessment.version += 1
        assessment.title = data.title
        assessment.definition = definition
        session.add(_snapshot(assessment))
    await session.commit()
    return assessment


async def set_enabled(session: AsyncSession, tenant_id: str, key: str, enabled: bool) -> Assessment:
    """Let customers start the assessment, or not (runs under way go on) and commit."""
    assessment = await get(session, tenant_id, key)
    assessment.enabled = enabled
    await session.commit()
    return assessment


async def delete(session: AsyncSession, tenant_id: str, key: str) -> None:
    """Remove the assessment with its versions and results, and commit."""
    await session.delete(await get(session, tenant_id, key))
    await session.commit()


async def list_assessments(
    session: AsyncSession, tenant_id: str, enabled: bool | None = None
) -> Sequence[Assessment]:
    """The tenant's assessments by key."""
    stmt = select(Assessment).where(Assessment.tenant_id == tenant_id)
    if enabled is not None:
        stmt = stmt.where(Assessment.enabled.is_(enabled))
    return (await session.scalars(stmt.order_by(Assessment.key))).all()


async def get(session: AsyncSession, tenant_id: str, key: str) -> Assessment:
    """One of the tenant's assessments by key, or :class:`NotFound`."""
    assessment = await find(session, tenant_id, key)
    if assessment is None:
        raise NotFound("Unknown assessment")
    return assessment


async def versions(session: AsyncSession, tenant_id: str, key: str) -> Sequence[AssessmentVersion]:
    """The stored versions of an assessment, newest first."""
    assessment = await get(session, tenant_id, key)
    return (
        await session.scalars(
            select(AssessmentVersion)
            .where(
                AssessmentVersion.tenant_id == tenant_id,
                AssessmentVersion.assessment_id == assessment.id,
            )
            .order_by(AssessmentVersion.number.desc())
        )
    ).all()


async def version_definition(
    session: AsyncSession, tenant_id: str, assessment_id: str, number: int
) -> AssessmentDefinition | None:
    """The definition of one version, or None when it is gone."""
    stored = await session.scalar(
        select(AssessmentVersion.definition).where(
            AssessmentVersion.tenant_id == tenant_id,
            AssessmentVersion.assessment_id == assessment_id,
            AssessmentVersion.number == number,
        )
    )
    return AssessmentDefinition.model_validate(stored) if stored is not None else None


async def find(session: AsyncSession, tenant_id: str, key: str) -> Assessment | None:
    """One of the tenant's assessments by key, or None."""
    return await session.scalar(
        select(Assessment).where(Assessment.tenant_id == tenant_id, Assessment.key == key)
    )


def _snapshot(assessment: Assessment) -> AssessmentVersion:
    return AssessmentVersion(
        tenant_id=assessment.tenant_id,
        assessment_id=assessment.id,
        number=assessment.version,
        definition=assessment.definition,
    )


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResultFilter:
    """Which results to list."""

    status: str | None = None
    conversation_id: str | None = None
    contact_id: str | None = None
    band: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_results(
    session: AsyncSession,
    tenant_id: str,
    key: str,
    where: ResultFilter,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[AssessmentResult]:
    """Runs of an assessment, newest first."""
    assessment = await get(session, tenant_id, key)
    stmt = select(AssessmentResult).where(
        AssessmentResult.tenant_id == tenant_id,
        AssessmentResult.assessment_id == assessment.id,
    )
    for column, value in (
        (AssessmentResult.status, where.status),
        (AssessmentResult.conversation_id, where.conversation_id),
        (AssessmentResult.contact_id, where.contact_id),
        (AssessmentResult.band, where.band),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if where.since is not None:
        stmt = stmt.where(AssessmentResult.started_at >= where.since)
    if where.until is not None:
        stmt = stmt.where(AssessmentResult.started_at < where.until)
    stmt = stmt.order_by(AssessmentResult.started_at.desc(), AssessmentResult.id.desc())
    return (await session.scalars(stmt.limit(limit).offset(offset))).all()


async def get_result(
    session: AsyncSession, tenant_id: str, key: str, result_id: str
) -> AssessmentResult:
    """One run of an assessment, or :class:`NotFound`."""
    assessment = await get(session, tenant_id, key)
    result = await session.get(AssessmentResult, result_id)
    if result is None or result.tenant_id != tenant_id or result.assessment_id != assessment.id:
        raise NotFound("Unknown assessment result")
    return result


# -- a run ------------------------------------------------------------------------------------


async def start_run(
    session: AsyncSession,
    assessment: Assessment,
    conversation_id: str,
    contact_id: str | None,
) -> AssessmentResult:
    """A new in-progress result on the assessment's current version.

    A run of the conversation still in progress was left behind (another handler ended the
    flow, a human took over): it is closed as ``abandoned``.
    """
    await session.execute(
        update(AssessmentResult)
        .where(
            AssessmentResult.tenant_id == assessment.tenant_id,
            AssessmentResult.conversation_id == conversation_id,
            AssessmentResult.status == "in_progress",
        )
        .values(status="abandoned", current_question=None, completed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    result = AssessmentResult(
        id=new_id(),
        tenant_id=assessment.tenant_id,
        assessment_id=assessment.id,
        version=assessment.version,
        conversation_id=conversation_id,
        contact_id=contact_id,
        status="in_progress",
        answers={},
    )
    session.add(result)
    return result


def record_answer(
    result: AssessmentResult,
    question: AssessmentQuestion,
    value: Any,
    raw: str | None,
    points: float,
) -> None:
    """Keep one answer (``raw`` None marks a question skipped by its condition)."""
    entry = {"value": value, "raw": raw, "points": points}
    if raw is None:
        entry["skipped"] = True
    result.answers = {**result.answers, question.id: entry}


def next_question(
    definition: AssessmentDefinition, start: int, result: AssessmentResult
) -> int | None:
    """The index of the next question to ask from ``start``, recording the skipped ones."""
    for index in range(start, len(definition.questions)):
        question = definition.questions[index]
        if question.skip_if is None or not _skipped(question, result):
            result.current_question = question.id
            return index
        record_answer(result, question, None, None, 0.0)
    result.current_question = None
    return None


def _skipped(question: AssessmentQuestion, result: AssessmentResult) -> bool:
    assert question.skip_if is not None
    scope = {"answers": {qid: entry.get("value") for qid, entry in result.answers.items()}}
    try:
        return evaluate(question.skip_if, scope).matched
    except Exception:
        log.warning("assessment_skip_failed", question=question.id, exc_info=True)
        return False


def score_of(result: AssessmentResult) -> float:
    """The sum of the weighted points of the answers."""
    return round(sum(float(entry.get("points") or 0) for entry in result.answers.values()), 4)


async def finish(
    session: AsyncSession, definition: AssessmentDefinition, result: AssessmentResult
) -> ScoreBand | None:
    """Score the run, give it its band, mark it completed and publish the event."""
    score = score_of(result)
    band = definition.band_for(score)
    result.score = score
    result.band = band.title if band is not None else None
    result.status = "completed"
    result.current_question = None
    result.completed_at = utcnow()
    await publish(
        session,
        result.tenant_id,
        COMPLETED,
        {
            "result_id": result.id,
            "assessment_id": result.assessment_id,
            "assessment": definition.key,
            "version": result.version,
            "conversation_id": result.conversation_id,
            "contact_id": result.contact_id,
            "score": score,
            "band": result.band,
        },
    )
    return band


def end_run(result: AssessmentResult, status: str) -> None:
    """Close a run without a score: ``abandoned`` or ``escalated``."""
    result.status = status
    result.current_question = None
    result.completed_at = utcnow()
