"""Language detection (U1), offline with lingua.

The detector only weighs the languages a deployment serves (``FRONTDESK_LANGUAGES``, default
ten European ones), which keeps it accurate on short messages and its memory small; models load
on first use, once per process. A message too short or too ambiguous to tell ("ok", "👍",
"hello", an order number: the best language is not clearly likelier than the next) is taken to
be in the tenant's language and marked ``assumed``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

MIN_RATIO = 1.8  # the best language must be this many times likelier than the next
MIN_LETTERS = 4


@dataclass(frozen=True)
class Detected:
    """ISO 639-1 ``code``; ``assumed`` when it fell back to the tenant's language."""

    code: str
    confidence: float
    assumed: bool


class LanguageDetector:
    """A lingua detector over a fixed set of ISO 639-1 codes (built lazily, thread-safe)."""

    def __init__(self, codes: list[str]) -> None:
        self.codes = sorted({code.lower() for code in codes})
        self._detector: Any = None
        self._lock = threading.Lock()

    def _build(self) -> Any:
        with self._lock:
            if self._detector is None:
                from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

                languages = [
                    Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
                    for code in self.codes
                ]
                self._detector = LanguageDetectorBuilder.from_languages(*languages).build()
            return self._detector

    def detect(self, text: str, default: str) -> Detected:
        """The language of ``text``, or ``default`` (assumed) when it cannot tell."""
        letters = sum(ch.isalpha() for ch in text[:2000])
        if letters < MIN_LETTERS or len(self.codes) < 2:
            return Detected(default, 0.0, True)
        values = self._build().compute_language_confidence_values(text[:2000])
        if not values or values[0].value <= 0:
            return Detected(default, 0.0, True)
        best, runner_up = values[0], values[1].value if len(values) > 1 else 0.0
        if best.value < MIN_RATIO * runner_up:  # too close to call ("hello", "Danke!")
            return Detected(default, round(best.value, 3), True)
        return Detected(best.language.iso_code_639_1.name.lower(), round(best.value, 3), False)


def supported(code: str) -> bool:
    """True when lingua knows the ISO 639-1 ``code``."""
    from lingua import IsoCode639_1

    return hasattr(IsoCode639_1, code.upper())
