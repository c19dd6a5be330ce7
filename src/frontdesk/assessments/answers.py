"""Asking a question and reading the customer's answer to it.

:func:`prompt` renders a question with its options numbered; :func:`read` turns the reply into
the normalised value and its points, or raises :class:`InvalidAnswer` with the reason to tell the
customer. Yes/no and the control words (skip, stop) are understood in English, German, French
and Spanish.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from frontdesk.assessments.schemas import AssessmentOption, AssessmentQuestion
from frontdesk.workflows.rules import regex

MAX_TEXT = 1000
"""Longest free-text answer kept, unless the question says otherwise."""
YES = frozenset({"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "true", "ja", "jawohl",
                 "oui", "ouais", "si", "sí", "claro"})  # fmt: skip
NO = frozenset({"no", "n", "nope", "nah", "false", "nein", "non", "nee"})
SKIP = frozenset({"skip", "pass", "-", "überspringen", "ueberspringen", "passer", "saltar"})
STOP = frozenset({"stop", "cancel", "quit", "exit", "abbrechen", "stopp", "annuler", "arrête",
                  "arreter", "arrêter", "cancelar", "parar"})  # fmt: skip
DEFAULT_YES_NO = (
    AssessmentOption(value="yes", label="Yes"),
    AssessmentOption(value="no", label="No"),
)
THOUSANDS = r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
NUMBER = re.compile(rf"{THOUSANDS}|[-+]?\d+(?:[.,]\d+)?")
PUNCTUATION = " \t\r\n.,;:!?¡¿'\"()[]"


class InvalidAnswer(ValueError):
    """An answer that does not fit the question; the message is the reason to show."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A valid answer: the normalised value (None when skipped) and its weighted points."""

    value: Any
    points: float


def words(text: str) -> str:
    """``text`` folded for comparisons: lower case, outer punctuation and spaces trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split()).strip(PUNCTUATION)


def is_stop(text: str) -> bool:
    """True when the customer asks to stop the assessment."""
    return words(text) in STOP


def options_of(question: AssessmentQuestion) -> list[AssessmentOption]:
    """The options shown for a question (yes/no has its defaults)."""
    if question.type == "yes_no" and not question.options:
        return list(DEFAULT_YES_NO)
    return list(question.options)


def prompt(question: AssessmentQuestion, number: int, total: int) -> str:
    """The question as sent: ``Question 2 of 5: …`` with its options numbered."""
    lines = [f"Question {number} of {total}: {question.text}"]
    if question.type in ("choice", "yes_no"):
        lines += [f"{i}. {option.label}" for i, option in enumerate(options_of(question), 1)]
    elif question.type == "scale":
        values = question.scale_values()
        lines.append(f"(a number from {values[0]} to {values[-1]})")
        lines += [f"{option.key} = {option.label}" for option in question.options]
    if not question.validation.required:
        lines.append('(reply "skip" to leave it out)')
    return "\n".join(lines)


def read(question: AssessmentQuestion, text: str) -> Answer:
    """The answer ``text`` gives to ``question``, or :class:`InvalidAnswer`."""
    folded = words(text)
    if not folded:
        raise InvalidAnswer("I need an answer to this question")
    if folded in SKIP:
        if question.validation.required:
            raise InvalidAnswer("this question cannot be skipped")
        return Answer(None, 0.0)
    value, points = READERS[question.type](question, text.strip(), folded)
    return Answer(value, points * question.weight)


def _choice(question: AssessmentQuestion, text: str, folded: str) -> tuple[Any, float]:
    option = _pick(options_of(question), folded)
    if option is None:
        raise InvalidAnswer("please reply with the number or the name of one of the options")
    return option.key, option.points


def _yes_no(question: AssessmentQuestion, text: str, folded: str) -> tuple[Any, float]:
    options = options_of(question)
    option = _pick(options, folded)
    if option is None and folded in YES | NO:
        wanted = "yes" if folded in YES else "no"
        option = next(o for o in options if o.key.casefold() == wanted)
    if option is None:
        raise InvalidAnswer("please answer yes or no")
    return option.key.casefold(), option.points


def _pick(options: list[AssessmentOption], folded: str) -> AssessmentOption | None:
    """The option named by its number, its label or value, or the one label in the reply."""
    if folded.isdigit() and 1 <= int(folded) <= len(options):
        return options[int(folded) - 1]
    for option in options:
        if folded in (option.label.casefold(), option.key.casefold()):
            return option
    mentioned = [o for o in options if re.search(rf"\b{re.escape(o.label.casefold())}\b", folded)]
    return mentioned[0] if len(mentioned) == 1 else None


def _number(question: AssessmentQuestion, text: str, folded: str) -> tuple[Any, float]:
    value = _one_number(folded)
    if value is None:
        raise InvalidAnswer("please reply with a number")
    _within(question, value)
    return value, 0.0


def _scale(question: AssessmentQuestion, text: str, folded: str) -> tuple[Any, float]:
    values = question.scale_values()
    option = next(
        (o for o in question.options if folded == o.label.casefold()),
        None,
    )
    value = int(option.key) if option is not None else _one_number(folded)
    if not isinstance(value, int) or value not in values:
        raise InvalidAnswer(f"please reply with a number from {values[0]} to {values[-1]}")
    chosen = next((o for o in question.options if o.key == str(value)), None)
    return value, chosen.points if chosen is not None else float(value)


def _one_number(folded: str) -> int | float | None:
    """The only number in the reply (``3,5`` reads as 3.5, ``1,000`` as 1000)."""
    found = NUMBER.findall(folded)
    if len(found) != 1:
        return None
    digits = found[0]
    if re.fullmatch(THOUSANDS, digits):
        digits = digits.replace(",", "")
    else:
        digits = digits.replace(",", ".")
    number = float(digits)
    return int(number) if number.is_integer() and "." not in digits else number


def _within(question: AssessmentQuestion, value: float) -> None:
    low, high = question.validation.min, question.validation.max
    if low is not None and value < low:
        raise InvalidAnswer(f"the number must be at least {show_number(low)}")
    if high is not None and value > high:
        raise InvalidAnswer(f"the number must be at most {show_number(high)}")


def _text(question: AssessmentQuestion, text: str, folded: str) -> tuple[Any, float]:
    rules = question.validation
    answer = " ".join(text.split())
    if rules.min_length is not None and len(answer) < rules.min_length:
        raise InvalidAnswer(f"the answer needs at least {rules.min_length} characters")
    if len(answer) > (rules.max_length or MAX_TEXT):
        raise InvalidAnswer(
            f"the answer can have at most {rules.max_length or MAX_TEXT} characters"
        )
    if rules.pattern is not None and not regex(rules.pattern).fullmatch(answer):
        raise InvalidAnswer("the answer does not have the expected format")
    return answer, 0.0


def _email(question: AssessmentQuestion, text: str, folded: str) -> tuple[Any, float]:
    try:
        valid = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidAnswer("that does not look like an e-mail address") from None
    rules = question.validation
    if rules.max_length is not None and len(valid.normalized) > rules.max_length:
        raise InvalidAnswer(f"the address can have at most {rules.max_length} characters")
    return valid.normalized, 0.0


def _date(question: AssessmentQuestion, text: str, folded: str) -> tuple[Any, float]:
    import dateparser  # slow to import: only when a date question is answered

    try:
        when = dateparser.parse(text, settings={"PREFER_DAY_OF_MONTH": "first"})
    except (ValueError, OverflowError, LookupError):
        when = None
    if when is None:
        raise InvalidAnswer("please reply with a date, such as 14 March 2026")
    return when.date().isoformat(), 0.0


def show_number(number: float) -> str:
    """A number as people write it: ``3`` rather than ``3.0``."""
    return str(int(number)) if float(number).is_integer() else str(number)


READERS = {
    "choice": _choice,
    "yes_no": _yes_no,
    "number": _number,
    "scale": _scale,
    "text": _text,
    "email": _email,
    "date": _date,
}
