"""Multi-step assessments (PRODUCT.md R3): ask each question, check the answer, score the run.

A routing rule starts a run with ``params {"assessment": "<key>"}``; the run then lives in the
conversation's flow (``context.flow``), so the router brings every following message back here
until the run ends. The result row follows every answer, so a run in progress shows in the
results API. Three invalid answers to one question end the run as ``escalated`` and the handler
answers None: the pipeline hands the conversation to a human.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frontdesk.assessments import service
from frontdesk.assessments.answers import InvalidAnswer, is_stop, prompt, read, show_number
from frontdesk.assessments.models import Assessment, AssessmentResult
from frontdesk.assessments.schemas import AssessmentDefinition, ScoreBand
from frontdesk.conversations.context import Flow
from frontdesk.core.logging import get_logger
from frontdesk.handlers.base import Member, Reply, Turn

NAME = "assessment"
MAX_INVALID = 3
"""Invalid answers to one question before a human takes over."""
ABANDONED_TEXT = "All right, I stopped the assessment. Your answers so far are kept."
MAX_RAW = 1000

log = get_logger("frontdesk.handlers.assessment")


@dataclass(frozen=True, slots=True)
class Run:
    """What the read phase found: the definition, and the assessment when a run starts."""

    definition: AssessmentDefinition
    starting: Assessment | None = None


async def prepare(turn: Turn) -> bool:
    """Load the definition of the run under way, or of the assessment the rule names."""
    flow = turn.context.flow
    if flow is not None and flow.handler == NAME:
        definition = await service.version_definition(
            turn.session,
            turn.tenant_id,
            str(flow.state.get("assessment_id")),
            int(flow.state.get("version") or 0),
        )
        if definition is None:
            return False  # deleted meanwhile: the fallback hands over
        turn.prepared[NAME] = Run(definition)
        return True
    key = turn.params.get("assessment")
    assessment = await service.find(turn.session, turn.tenant_id, key) if key else None
    if assessment is None or not assessment.enabled:
        log.warning("assessment_unavailable", tenant_id=turn.tenant_id, key=key)
        return False
    definition = AssessmentDefinition.model_validate(assessment.definition)
    turn.prepared[NAME] = Run(definition, assessment)
    return True


async def handle(turn: Turn) -> Reply | None:
    """Start the run, or take the answer to the current question."""
    run: Run | None = turn.prepared.get(NAME)
    if run is None:
        return None
    if run.starting is not None:
        return await _start(turn, run.definition, run.starting)
    return await _answer(turn, run.definition)


async def _start(turn: Turn, definition: AssessmentDefinition, assessment: Assessment) -> Reply:
    conversation = turn.conversation
    assert conversation is not None
    result = await service.start_run(
        turn.session, assessment, conversation.id, conversation.contact_id
    )
    index = service.next_question(definition, 0, result)
    assert index is not None  # the first question has no skip condition
    state = {
        "result_id": result.id,
        "assessment_id": assessment.id,
        "key": assessment.key,
        "version": assessment.version,
        "index": index,
        "invalid": 0,
    }
    turn.context.start_flow(NAME, state)
    text = "\n\n".join(part for part in (definition.intro, _ask(definition, index)) if part)
    return _reply(text, result, definition)


async def _answer(turn: Turn, definition: AssessmentDefinition) -> Reply | None:
    flow = turn.context.flow
    assert flow is not None
    state = dict(flow.state)
    result = await turn.session.get(AssessmentResult, str(state.get("result_id")))
    if result is None or result.tenant_id != turn.tenant_id or result.status != "in_progress":
        turn.context.end_flow()
        return None
    if is_stop(turn.text):
        service.end_run(result, "abandoned")
        turn.context.end_flow()
        return _reply(ABANDONED_TEXT, result, definition)
    index = int(state["index"])
    question = definition.questions[index]
    try:
        answer = read(question, turn.text)
    except InvalidAnswer as reason:
        return _retry(turn, state, result, definition, str(reason))
    service.record_answer(
        result, question, answer.value, turn.text.strip()[:MAX_RAW], answer.points
    )
    following = service.next_question(definition, index + 1, result)
    if following is None:
        band = await service.finish(turn.session, definition, result)
        turn.context.end_flow()
        return _reply(_completion(definition, result, band), result, definition)
    flow.state = {**state, "index": following, "invalid": 0}
    return _reply(_ask(definition, following), result, definition)


async def flow_ended(turn: Turn, flow: Flow) -> None:
    """Another handler ended the run (a hand-over, say): it ends as escalated."""
    result = await turn.session.get(AssessmentResult, str(flow.state.get("result_id")))
    if result is not None and result.tenant_id == turn.tenant_id and result.status == "in_progress":
        service.end_run(result, "escalated")


def _retry(
    turn: Turn,
    state: dict[str, Any],
    result: AssessmentResult,
    definition: AssessmentDefinition,
    reason: str,
) -> Reply | None:
    """Ask again, saying why; the last invalid answer ends the run for a human to take over."""
    invalid = int(state.get("invalid", 0)) + 1
    if invalid >= MAX_INVALID:
        service.end_run(result, "escalated")
        turn.context.end_flow()
        return None
    assert turn.context.flow is not None
    turn.context.flow.state = {**state, "invalid": invalid}
    text = f"Sorry, {reason}.\n\n{_ask(definition, int(state['index']))}"
    return _reply(text, result, definition, invalid=True)


def _ask(definition: AssessmentDefinition, index: int) -> str:
    return prompt(definition.questions[index], index + 1, len(definition.questions))


def _completion(
    definition: AssessmentDefinition, result: AssessmentResult, band: ScoreBand | None
) -> str:
    score = show_number(result.score or 0)
    parts = [definition.completion_text]
    if band is not None:
        parts.append(
            f"Your result: {band.title}" + (f" ({score} points)" if definition.show_score else "")
        )
        parts.append(band.text)
    elif definition.show_score:
        parts.append(f"Your score: {score}")
    return "\n\n".join(part for part in parts if part)


def _reply(
    text: str, result: AssessmentResult, definition: AssessmentDefinition, **extra: Any
) -> Reply:
    meta = {
        "assessment": definition.key,
        "result_id": result.id,
        "status": result.status,
        "question": result.current_question,
        **extra,
    }
    return Reply(text, NAME, meta)


MEMBER = Member(
    NAME,
    handle,
    prepare,
    description="a multi-step assessment with a score",
    flow_ended=flow_ended,
)
