"""Sentiment (U4): a score per message and a trend per conversation.

Offline with the VADER lexicon (tuned for short, informal text: emoji, capitals, "!!!", "not
good"), which reads English; messages in other languages score neutral unless they carry emoji
or English words. The trend is an exponentially weighted mean over the conversation, so one
angry message moves it and a run of them sets it firmly negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

NEGATIVE, POSITIVE = -0.05, 0.05  # VADER's own thresholds on the compound score
TREND_WEIGHT = 0.5


@dataclass(frozen=True)
class Sentiment:
    """``score`` in [-1, 1]; ``label`` negative / neutral / positive."""

    score: float
    label: str


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def label_of(score: float) -> str:
    """The label of a score: negative, neutral or positive."""
    if score <= NEGATIVE:
        return "negative"
    return "positive" if score >= POSITIVE else "neutral"


def score(text: str) -> Sentiment:
    """The sentiment of one message (first 2,000 characters)."""
    compound = float(_analyzer().polarity_scores(text[:2000])["compound"]) if text.strip() else 0.0
    return Sentiment(round(compound, 4), label_of(compound))


def trend(previous: float | None, current: float, weight: float = TREND_WEIGHT) -> float:
    """The conversation's trend after a message scoring ``current``."""
    if previous is None:
        return current
    return round(weight * current + (1 - weight) * previous, 4)
