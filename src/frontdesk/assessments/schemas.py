"""The assessment definition (validated JSON) and the bodies of the assessments API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from frontdesk.workflows.rules import Rule, RuleError, RuleGroup, check, regex

MAX_QUESTIONS = 50
MAX_OPTIONS = 20
MAX_BANDS = 20
MAX_PATTERN = 300
MAX_SCALE_STEPS = 11
KEY = r"^[a-z0-9][a-z0-9_-]{0,63}$"
BACK_REFERENCE = re.compile(r"\\[1-9]|\(\?P=|\\k<|\\g<")

QuestionType = Literal["choice", "yes_no", "number", "text", "email", "date", "scale"]
RunStatus = Literal["in_progress", "completed", "abandoned", "escalated"]
WITH_OPTIONS = frozenset({"choice", "yes_no", "scale"})


class AssessmentOption(BaseModel):
    """One answer a customer can pick: by its number or its label."""

    model_config = ConfigDict(extra="forbid")

    value: str | None = Field(default=None, min_length=1, max_length=100)
    """What is stored (the label when absent); ``yes``/``no`` for yes_no, the number for scale."""
    label: str = Field(min_length=1, max_length=200)
    points: float = Field(default=0, ge=-1000, le=1000)

    @property
    def key(self) -> str:
        """The stored value of this option."""
        return self.value if self.value is not None else self.label


class AnswerValidation(BaseModel):
    """What an answer must satisfy; which fields apply depends on the question's type."""

    model_config = ConfigDict(extra="forbid")

    required: bool = True
    min: float | None = Field(default=None, ge=-1e12, le=1e12)
    max: float | None = Field(default=None, ge=-1e12, le=1e12)
    min_length: int | None = Field(default=None, ge=0, le=2000)
    max_length: int | None = Field(default=None, ge=1, le=2000)
    pattern: str | None = Field(default=None, min_length=1, max_length=MAX_PATTERN)

    @field_validator("pattern")
    @classmethod
    def _re2(cls, pattern: str | None) -> str | None:
        if pattern is None:
            return None
        if BACK_REFERENCE.search(pattern):
            raise ValueError("back-references are not supported")
        try:
            regex(pattern)
        except RuleError as exc:
            raise ValueError(exc.detail) from None
        return pattern

    @model_validator(mode="after")
    def _ranges(self) -> AnswerValidation:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        if (
            self.min_length is not None
            and self.max_length is not None
            and self.min_length > self.max_length
        ):
            raise ValueError("min_length is greater than max_length")
        return self


class AssessmentQuestion(BaseModel):
    """One question of an assessment."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=KEY)
    text: str = Field(min_length=1, max_length=1000)
    type: QuestionType
    options: list[AssessmentOption] = Field(default_factory=list, max_length=MAX_OPTIONS)
    validation: AnswerValidation = Field(default_factory=AnswerValidation)
    weight: float = Field(default=1, ge=0, le=100)
    """Multiplies the points of this question's answer."""
    skip_if: RuleGroup | None = None
    """Skip the question when this holds over ``answers.<earlier question id>``."""

    @model_validator(mode="after")
    def _fits_type(self) -> AssessmentQuestion:
        check_options(self)
        check_validation(self)
        return self

    def scale_values(self) -> range:
        """The whole numbers a scale question accepts."""
        low, high = self.validation.min or 0, self.validation.max or 0
        return range(int(low), int(high) + 1)


def check_options(question: AssessmentQuestion) -> None:
    """Options only where they mean something, unique, and fitting the question's type."""
    options = question.options
    if question.type not in WITH_OPTIONS:
        if options:
            raise ValueError(f"options: a {question.type} question has no options")
        return
    if question.type == "choice" and len(options) < 2:
        raise ValueError("options: a choice question needs at least 2 options")
    keys = [option.key.casefold() for option in options]
    labels = [option.label.casefold() for option in options]
    if len(set(keys)) != len(keys) or len(set(labels)) != len(labels):
        raise ValueError("options: two options have the same value or label")
    if question.type == "yes_no" and options and sorted(keys) != ["no", "yes"]:
        raise ValueError('options: a yes_no question has the options "yes" and "no" (values)')


def check_validation(question: AssessmentQuestion) -> None:
    """Each validation field on the types it applies to; a scale's range is bounded."""
    rules = question.validation
    kind = question.type
    if (rules.min is not None or rules.max is not None) and kind not in ("number", "scale"):
        raise ValueError("validation: min and max apply to number and scale questions")
    if rules.pattern is not None and kind != "text":
        raise ValueError("validation: pattern applies to text questions")
    lengths = rules.min_length is not None or rules.max_length is not None
    if lengths and kind not in ("text", "email"):
        raise ValueError("validation: min_length and max_length apply to text and email")
    if kind != "scale":
        return
    if rules.min is None or rules.max is None:
        raise ValueError("validation: a scale question needs min and max")
    if rules.min != int(rules.min) or rules.max != int(rules.max):
        raise ValueError("validation: a scale's min and max are whole numbers")
    if rules.max - rules.min + 1 > MAX_SCALE_STEPS or rules.max == rules.min:
        raise ValueError(f"validation: a scale has 2 to {MAX_SCALE_STEPS} steps")
    allowed = {str(n) for n in question.scale_values()}
    if any(option.key not in allowed for option in question.options):
        raise ValueError("options: a scale option's value is one of the scale's numbers")


class ScoreBand(BaseModel):
    """A range of scores ``[min, max]`` and the result it gives."""

    model_config = ConfigDict(extra="forbid")

    min: float = Field(ge=-1e9, le=1e9)
    max: float = Field(ge=-1e9, le=1e9)
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _ordered(self) -> ScoreBand:
        if self.min > self.max:
            raise ValueError("min is greater than max")
        return self


class AssessmentDefinition(BaseModel):
    """An assessment as a tenant writes it (JSON)."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY)
    title: str = Field(min_length=1, max_length=200)
    intro: str = Field(default="", max_length=2000)
    questions: list[AssessmentQuestion] = Field(min_length=1, max_length=MAX_QUESTIONS)
    bands: list[ScoreBand] = Field(default_factory=list, max_length=MAX_BANDS)
    completion_text: str = Field(default="Thank you, that was the last question.", max_length=2000)
    show_score: bool = True

    @field_validator("questions")
    @classmethod
    def _questions(cls, questions: list[AssessmentQuestion]) -> list[AssessmentQuestion]:
        seen: set[str] = set()
        for index, question in enumerate(questions):
            if question.id in seen:
                raise ValueError(f"questions[{index}]: duplicate question id {question.id!r}")
            if question.skip_if is not None:
                problems = check_skip(question.skip_if, seen)
                if problems:
                    raise ValueError(f"questions[{index}].skip_if: {'; '.join(problems)}")
            seen.add(question.id)
        return questions

    @field_validator("bands")
    @classmethod
    def _bands(cls, bands: list[ScoreBand]) -> list[ScoreBand]:
        ordered = sorted(bands, key=lambda band: band.min)
        for lower, upper in zip(ordered, ordered[1:], strict=False):
            if upper.min <= lower.max:
                raise ValueError(f"bands {lower.title!r} and {upper.title!r} overlap")
        titles = [band.title.casefold() for band in bands]
        if len(set(titles)) != len(titles):
            raise ValueError("two bands have the same title")
        return bands

    def stored(self) -> dict[str, Any]:
        """The JSON form kept in the database and shown by the API."""
        return self.model_dump(mode="json", exclude_none=True)

    def band_for(self, score: float) -> ScoreBand | None:
        """The band holding ``score``, if any."""
        return next((band for band in self.bands if band.min <= score <= band.max), None)


def check_skip(group: RuleGroup, earlier: set[str]) -> list[str]:
    """The problems of a skip condition: its rules, and fields naming no earlier answer."""
    problems = check(group)
    for rule in _rules(group):
        name = rule.field.strip()
        if "{{" in name:
            problems.append(f"field {name!r}: a skip condition reads answers.<question id>")
            continue
        root, _, question = name.partition(".")
        if root != "answers" or question.split(".", 1)[0] not in earlier:
            problems.append(f"field {name!r} names no earlier question (answers.<id>)")
    return problems


def _rules(group: RuleGroup) -> Iterator[Rule]:
    for condition in group.conditions:
        if isinstance(condition, RuleGroup):
            yield from _rules(condition)
        else:
            yield condition


class AssessmentIn(AssessmentDefinition):
    """A definition to create or replace, and whether customers can start it."""

    enabled: bool = True

    def stored(self) -> dict[str, Any]:
        """The JSON form of the definition alone (``enabled`` is the assessment's)."""
        return self.model_dump(mode="json", exclude={"enabled"}, exclude_none=True)


class AssessmentPatch(BaseModel):
    """Enable or disable an assessment (no new version)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool


class AssessmentSummary(BaseModel):
    """An assessment in a list."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    key: str
    title: str
    version: int
    enabled: bool
    created_at: datetime
    updated_at: datetime


class AssessmentPublic(AssessmentSummary):
    """An assessment with the definition of its current (or the asked) version."""

    definition: dict[str, Any]


class AssessmentVersionPublic(BaseModel):
    """One stored version of a definition."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    created_at: datetime


class AssessmentResultPublic(BaseModel):
    """One run of an assessment in a conversation."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    assessment_id: str
    version: int
    conversation_id: str
    contact_id: str | None
    status: RunStatus
    answers: dict[str, Any]
    current_question: str | None
    score: float | None
    band: str | None
    started_at: datetime
    completed_at: datetime | None
    updated_at: datetime
