"""Sentiment scores and trend; language detection with a fallback to the tenant's language."""

from __future__ import annotations

import pytest

from frontdesk.understanding.language import LanguageDetector
from frontdesk.understanding.sentiment import score, trend


def test_sentiment_labels():
    assert score("This is the worst service ever!!! 😡").label == "negative"
    assert score("Thanks, that helped a lot!").label == "positive"
    assert score("Where is my parcel?").label == "neutral"
    assert score("").score == 0.0


def test_trend_follows_a_run_of_negative_messages():
    value = None
    for text in ["ok", "this is bad", "terrible, awful service", "I hate this"]:
        value = trend(value, score(text).score)
    assert value is not None and value < -0.4


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(["en", "de", "fr", "es", "it", "nl"])


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Wo ist mein Paket?", "de"),
        ("¿Dónde está mi paquete?", "es"),
        ("Où est mon colis ?", "fr"),
        ("Ik wil mijn bestelling annuleren", "nl"),
        ("I want a refund for my order", "en"),
    ],
)
def test_languages_are_detected(detector: LanguageDetector, text: str, code: str):
    found = detector.detect(text, default="en")
    assert (found.code, found.assumed) == (code, False)


@pytest.mark.parametrize("text", ["ok", "👍", "ORD-123456", "hello", ""])
def test_short_or_ambiguous_text_takes_the_tenants_language(detector: LanguageDetector, text: str):
    found = detector.detect(text, default="de")
    assert (found.code, found.assumed) == ("de", True)
