"""Fuzzy FAQ matching (rapidfuzz) over an in-memory index per tenant."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.knowledge.models import FaqEntry

STOPWORDS = frozenset(
    """
a an the i me my we our you your it its is are was were be been am do does did can could would
should will shall may might to of in on at for from with by about as and or but if so that this
these those there here what when where which who whom how please hi hello hey thanks thank
cant dont im whats ive id want need get got like know tell much many any some anyone
someone
""".split()
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def keywords(text: str) -> str:
    """Lower-cased content words of ``text``, in order, without stopwords or punctuation."""
    words = _WORD.findall(utils.default_process(text.replace("'", "").replace("\u2019", "")))
    kept = [w for w in words if w not in STOPWORDS]
    return " ".join(kept or words)


@dataclass(frozen=True, slots=True)
class FaqMatch:
    """The best entry for a question, with a 0–100 score."""

    entry_id: str
    answer: str
    score: float
    matched: str


def _score(query: str, choice: str, **_: object) -> float:
    # token_set_ratio alone gives 100 whenever one side's words are a subset of the other's, so
    # "the package arrived damaged" would match "where is my package". Weighting token_sort_ratio
    # double penalises the words left unexplained (calibrated in tests/knowledge/test_faq_index.py).
    return (fuzz.token_set_ratio(query, choice) + 2 * fuzz.token_sort_ratio(query, choice)) / 3


class FaqIndex:
    """Per-tenant lists of (entry, phrasing) pairs, rebuilt when stale or invalidated."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._indexes: dict[str, tuple[float, list[str], list[tuple[str, str, str]]]] = {}

    def invalidate(self, tenant_id: str) -> None:
        """Forget a tenant's index after its FAQ changed."""
        self._indexes.pop(tenant_id, None)

    async def _index(
        self, session: AsyncSession, tenant_id: str
    ) -> tuple[list[str], list[tuple[str, str, str]]]:
        hit = self._indexes.get(tenant_id)
        if hit and hit[0] > time.monotonic():
            return hit[1], hit[2]
        rows = (
            await session.execute(
                select(
                    FaqEntry.id, FaqEntry.question, FaqEntry.alternate_questions, FaqEntry.answer
                )
                .where(FaqEntry.tenant_id == tenant_id, FaqEntry.enabled.is_(True))
                .order_by(FaqEntry.priority.desc(), FaqEntry.id)
            )
        ).all()
        choices: list[str] = []
        entries: list[tuple[str, str, str]] = []
        for entry_id, question, alternates, answer in rows:
            for phrasing in [question, *alternates]:
                choices.append(keywords(phrasing))
                entries.append((entry_id, answer, phrasing))
        self._indexes[tenant_id] = (time.monotonic() + self._ttl, choices, entries)
        return choices, entries

    async def match(self, session: AsyncSession, tenant_id: str, text: str) -> FaqMatch | None:
        """The best-scoring entry for ``text``, or None when the tenant has no FAQ."""
        choices, entries = await self._index(session, tenant_id)
        if not choices:
            return None
        best = process.extractOne(keywords(text), choices, scorer=_score)
        if best is None:
            return None
        _, score, position = best
        entry_id, answer, phrasing = entries[position]
        return FaqMatch(entry_id, answer, float(score), phrasing)
