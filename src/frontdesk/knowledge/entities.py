"""Which known entity (a product, a place, a plan) a conversation is talking about.

The turns are read most recent first and the first one that names a known entity (fuzzily:
spelling, case, "&" for "and", a generic word such as "hotel" left out) decides. A follow-up
question like "do they allow pets?" thus inherits the entity named a few turns earlier.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz, process

GENERIC = frozenset(
    "the a an hotel hotels restaurant guest house guesthouse inn cafe bar and of".split()
)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalise(text: str) -> str:
    """Lower case, ``&`` as ``and``, punctuation as spaces."""
    return " ".join(_NON_WORD.sub(" ", text.lower().replace("&", " and ")).split())


@lru_cache(maxsize=64)
def _aliases(names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Each name, and its distinctive part without generic words, mapped back to the name."""
    choices: list[str] = []
    owners: list[str] = []
    for name in names:
        full = normalise(name)
        variants = {full}
        core = " ".join(w for w in full.split() if w not in GENERIC)
        if len(core) >= 5:
            variants.add(core)
        for variant in variants:
            choices.append(variant)
            owners.append(name)
    return choices, owners


def detect_entity(turns: Sequence[str], names: Sequence[str], threshold: float = 90) -> str | None:
    """The entity named in the most recent turn that names one, or None."""
    if not names:
        return None
    choices, owners = _aliases(tuple(names))
    for turn in turns:
        text = normalise(turn)
        if not text:
            continue
        found = process.extract(text, choices, scorer=_contains, limit=5, score_cutoff=threshold)
        if found:
            # Best score first; among equals the longest alias (most specific name) wins.
            _, _, index = max(found, key=lambda f: (f[1], len(f[0])))
            return owners[index]
    return None


def _contains(text: str, alias: str, **_: object) -> float:
    if len(alias) > len(text) + 2:
        return 0.0
    return float(fuzz.partial_ratio(alias, text))
