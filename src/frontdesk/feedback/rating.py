"""Reading a rating out of a customer's message: a number, stars, an emoji, or words."""

from __future__ import annotations

import re
from dataclasses import dataclass

EMOJI_SCORES = {
    "😡": 1, "🤬": 1, "😠": 1, "👎": 1, "💩": 1,
    "😞": 2, "🙁": 2, "☹️": 2, "☹": 2, "😕": 2, "😢": 2,
    "😐": 3, "😑": 3, "🤷": 3,
    "🙂": 4, "😊": 4, "👌": 4,
    "😀": 5, "😃": 5, "😄": 5, "😁": 5, "😍": 5, "🤩": 5, "🥰": 5, "👍": 5, "❤️": 5, "❤": 5,
    "💯": 5, "🎉": 5, "🙏": 5,
}  # fmt: skip
_NUMBER = re.compile(
    r"^\s*(?:(?:rating|rate|score|note|bewertung)\s*[:=]?\s*)?([1-5])"
    r"(?:\s*(?:/\s*5|out\s+of\s+5|stars?|sterne|étoiles?|estrellas?))?\s*[.!]*\s*$",
    re.IGNORECASE,
)
_STARS = re.compile(r"^\s*(⭐|★|\*){1,5}\s*$")
_EMOJI_ONLY = re.compile(r"^[\s\W]+$")


@dataclass(frozen=True, slots=True)
class Rating:
    """A CSAT score (1–5) and how it was given."""

    score: int
    source: str


def explicit_rating(text: str) -> Rating | None:
    """The rating a message states outright ("4/5", "⭐⭐⭐", "👍"), or None."""
    match = _NUMBER.match(text)
    if match:
        return Rating(int(match.group(1)), "rating")
    if _STARS.match(text):
        return Rating(
            max(1, min(5, text.count("⭐") + text.count("★") + text.count("*"))), "rating"
        )
    if _EMOJI_ONLY.match(text):
        return emoji_rating(text)
    return None


def emoji_rating(text: str) -> Rating | None:
    """The mean rating of the emoji in ``text``, or None when none rates anything."""
    scores = [score for emoji, score in EMOJI_SCORES.items() for _ in range(text.count(emoji))]
    if not scores:
        return None
    return Rating(round(sum(scores) / len(scores)), "rating")


def from_sentiment(compound: float) -> int:
    """A CSAT score for words alone, from their sentiment (−1 … 1)."""
    if compound >= 0.5:
        return 5
    if compound >= 0.05:
        return 4
    if compound > -0.05:
        return 3
    return 2 if compound > -0.5 else 1
