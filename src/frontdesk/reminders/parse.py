"""Reading reminder requests in plain language (English, basic German, French and Spanish).

"remind me tomorrow at 9am to call the bank" → when (tomorrow 09:00 in the tenant's time zone)
and what ("call the bank"); "cancel my reminder"; "snooze 10 minutes". Dates are read by
dateparser in the language of the phrase that asked (``erinnere mich`` reads German), after
the clock times dateparser misses ("um 9 Uhr", "a las 9", "à 9h") are rewritten as ``9:00``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

MAX_TEXT = 500
DEFAULT_SNOOZE_MINUTES = 10

_REQUESTS = {
    "en": r"(?:please\s+|can you\s+|could you\s+)*(?:remind me|set (?:me )?an? reminder)",
    "de": r"(?:bitte\s+)?(?:erinnere? mich|erinnern sie mich)",
    "fr": r"(?:rappelle[sz]?[- ]moi|rappelez[- ]moi)",
    "es": r"(?:recu[eé]rda(?:me|melo))",
}
REQUEST = re.compile(
    "|".join(rf"(?P<{lang}>\b{pattern}\b)" for lang, pattern in _REQUESTS.items()), re.IGNORECASE
)
NOUN = re.compile(r"\b(?:reminders?|erinnerung(?:en)?|rappels?|recordatorios?)\b", re.IGNORECASE)
CANCEL = re.compile(
    r"\b(?:cancel\w*|delete|remove|stop|forget|l[öo]sch\w*|abbrech\w*|brich|storn\w*"
    r"|entfern\w*|annul\w*|supprim\w*|borr\w*|elimin\w*)\b",
    re.IGNORECASE,
)
SNOOZE = re.compile(
    r"\bsnooze\b|\bremind me again\b|\bschlummer\w*\b|\b(?:nochmal|später) erinnern\b"
    r"|\berinnere? mich (?:nochmal|später|noch ?mal)\b|\brappelle[sz]?[- ]moi plus tard\b"
    r"|\bpospon\w*\b|\brecu[eé]rdamelo (?:m[aá]s tarde|de nuevo|otra vez)\b",
    re.IGNORECASE,
)
DURATION = re.compile(
    r"(?P<n>\d{1,4})\s*(?P<unit>m\b|mins?\b|minut\w*|h\b|hrs?\b|hours?\b|stunden?\b"
    r"|heures?\b|horas?\b)",
    re.IGNORECASE,
)
# Clock times dateparser reads badly ("um 9 Uhr", "à 9h30", "a las 9", "at 9") become "9:00".
_HOUR = r"(?P<h>[01]?\d|2[0-3])"
CLOCK = re.compile(
    rf"\b(?:um|à|a las|at)\s+{_HOUR}(?:[:h.](?P<m>[0-5]\d))?(?:\s*uhr\b|h\b)?"
    r"(?!\s*(?:am|pm|a\.m|p\.m)\b)(?![\d:./])"
    rf"|\b{_HOUR.replace('h>', 'h2>')}\s*(?:h|uhr)\s*(?P<m2>[0-5]\d)?\b",
    re.IGNORECASE,
)
# Words dateparser sometimes takes into a date phrase ("in 2 hours about the laundry").
TRAILING = re.compile(
    r"(?:\s+(?:about|the|to|that|for|of|an|die|der|den|das|la|le|les|el|los|de))+\s*$",
    re.IGNORECASE,
)
GIVE_UP = {"never mind", "nevermind", "no", "nein", "non", "nothing", "nichts", "rien", "nada"}
TIME_ONLY = re.compile(r"^(?:at\s+)?\d{1,2}(?::\d{2})?\s*(?:am|pm)?$", re.IGNORECASE)
LEAD = re.compile(
    r"^(?:[\s,:;.-]+|(?:to|that|about|of|for|on|please|an|dass|daran|zu|de|d'|que|à|pour|para"
    r"|por favor|bitte)\b\s*|d'|')",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Request:
    """What a reminder request says: when (UTC, None if not understood) and what."""

    due_at: datetime | None
    text: str
    language: str
    when_phrase: str | None = None


def kind(text: str) -> str | None:
    """``cancel``, ``snooze`` or ``create`` for a reminder request; None for anything else."""
    if CANCEL.search(text) and NOUN.search(text):
        return "cancel"
    if SNOOZE.search(text):
        return "snooze"
    if REQUEST.search(text):
        return "create"
    return None


def is_cancel_word(text: str) -> bool:
    """Whether a reply in a reminder's set-up says to give up."""
    words = re.sub(r"[^\w\s]", " ", text.lower()).split()
    if not words or len(words) > 4:
        return False
    return bool(CANCEL.search(text)) or " ".join(words) in GIVE_UP


def snooze_minutes(text: str) -> int:
    """The minutes a snooze asks for ("snooze 15 minutes", "in 2 hours"); 10 by default."""
    match = DURATION.search(text)
    if match is None:
        return DEFAULT_SNOOZE_MINUTES
    number = int(match["n"])
    unit = match["unit"].lower()
    return number * 60 if unit.startswith(("h", "st", "ho")) else number


def request(
    text: str,
    timezone: str,
    now: datetime,
    language: str = "en",
    found: dict[str, Any] | None = None,
) -> Request:
    """Read a reminder request: the time (in ``timezone``) and what to remind of.

    ``found`` is a ``datetime`` entity the understanding pass already read in the message; it
    is used when the clock-time rewrite leaves the message unchanged (dateparser would read
    the same), and when it lies within the rest of the message.
    """
    match = REQUEST.search(text)
    if match is not None:
        language = match.lastgroup or language
        rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    else:
        rest = text.strip()
    normal = _clock_times(rest)
    phrase, when = None, None
    if found is not None and normal == rest and str(found.get("text", "")) in rest:
        phrase, when = str(found["text"]), _aware(str(found["value"]))
    else:
        phrase, when = _search(normal, timezone, language, now)
    if phrase is not None:
        normal = normal.replace(phrase, " ", 1)
    if when is not None and phrase is not None:
        when = _roll_forward(when, phrase, now)
    return Request(
        due_at=when.astimezone(ZoneInfo("UTC")) if when is not None else None,
        text=what(normal),
        language=language,
        when_phrase=phrase,
    )


def when(text: str, timezone: str, now: datetime, language: str = "en") -> datetime | None:
    """Only the time in a reply (the answer to "When should I remind you?"), in UTC."""
    phrase, found = _search(_clock_times(text), timezone, language, now)
    if found is None or phrase is None:
        return None
    return _roll_forward(found, phrase, now).astimezone(ZoneInfo("UTC"))


def what(rest: str) -> str:
    """The thing to remind of: what is left once the request words and the time are gone."""
    text = re.sub(r"\s+", " ", rest).strip()
    while True:
        stripped = LEAD.sub("", text, count=1).strip()
        if stripped == text:
            break
        text = stripped
    text = text.rstrip(" .!?,;:")
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1].rstrip() + "…"
    return text


def _clock_times(text: str) -> str:
    def clock(m: re.Match[str]) -> str:
        hour, minute = m["h"] or m["h2"], m["m"] or m["m2"] or "00"
        return f"{int(hour)}:{minute}"

    return CLOCK.sub(clock, text)


def _search(
    text: str, timezone: str, language: str, now: datetime
) -> tuple[str | None, datetime | None]:
    """The first date or time dateparser finds in ``text`` (relative to ``now``), aware."""
    from dateparser.search import search_dates

    settings = {
        "RELATIVE_BASE": now.astimezone(ZoneInfo(timezone)).replace(tzinfo=None),
        "TIMEZONE": timezone,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "future",
    }
    try:
        results = search_dates(text, settings=settings, languages=[language]) or []
    except (ValueError, OverflowError, LookupError):
        return None, None
    for phrase, found in results:
        if phrase.strip().isdigit() or len(phrase.strip()) < 3:
            continue  # a bare number (an id, a count) or a stray word read as a date
        return TRAILING.sub("", phrase), found
    return None, None


def _aware(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _roll_forward(when: datetime, phrase: str, now: datetime) -> datetime:
    """A bare clock time already past today ("at 9" said at 10:00) means tomorrow."""
    if when < now and when > now - timedelta(days=1) and TIME_ONLY.match(phrase.strip()):
        return when + timedelta(days=1)
    return when
