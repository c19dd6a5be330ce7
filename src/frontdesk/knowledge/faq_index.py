"""FAQ matching over an in-memory index per tenant: fuzzy (rapidfuzz) and semantic (MiniLM).

Each phrasing (question or alternate) gets a fuzzy score and, when semantic matching is on, a
semantic score: the cosine similarity mapped so that 0.665 (the calibrated boundary between the
demo FAQ's paraphrases and off-topic messages) lands on the default threshold of 68. A phrasing's
score is the higher of the two, so a rephrasing with no shared words is still recognised.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process, utils
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.cache import TTLCache
from frontdesk.knowledge.embeddings import Embedder, Vectors
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


def _scores(query: str, choices: list[str]) -> npt.NDArray[np.float32]:
    """The fuzzy score (0–100) of ``query`` against each of ``choices``.

    token_set_ratio alone gives 100 whenever one side's words are a subset of the other's, so
    "the package arrived damaged" would match "where is my package". Weighting token_sort_ratio
    double penalises the words left unexplained (calibrated in tests/knowledge/test_faq_index.py).
    Both run as rapidfuzz's native scorers: a Python scorer would be called once per choice.
    """
    queries = [query]
    by_set = process.cdist(queries, choices, scorer=fuzz.token_set_ratio, dtype=np.float32)[0]
    by_sort = process.cdist(queries, choices, scorer=fuzz.token_sort_ratio, dtype=np.float32)[0]
    combined: npt.NDArray[np.float32] = (by_set + 2 * by_sort) / 3
    return combined


def semantic_score(cosine: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Cosine similarity on the fuzzy scale (0–100), calibrated on the demo FAQ."""
    scaled: npt.NDArray[np.float32] = np.clip(100 * (cosine - 0.1) / 0.83, 0, 100)
    return scaled


@dataclass
class _Index:
    choices: list[str]
    entries: list[tuple[str, str, str]]
    vectors: Vectors | None = field(default=None)


class FaqIndex:
    """Per-tenant lists of (entry, phrasing) pairs, rebuilt when stale or invalidated."""

    def __init__(self, ttl: float, embedder: Callable[[], Embedder] | None = None) -> None:
        self._embedder = embedder
        # A rebuild that read the entries before a change committed is not kept.
        self._indexes: TTLCache[str, _Index] = TTLCache(ttl)
        # Phrasing -> vector per tenant, kept across rebuilds: only new phrasings are encoded.
        self._vectors: dict[str, dict[str, npt.NDArray[np.float32]]] = {}

    @property
    def semantic(self) -> bool:
        """True when questions are also matched by meaning."""
        return self._embedder is not None

    def invalidate(self, tenant_id: str) -> None:
        """Forget a tenant's index after its FAQ changed."""
        self._indexes.forget(tenant_id)

    async def _build(self, session: AsyncSession, tenant_id: str) -> _Index:
        """The tenant's enabled public entries, each phrasing with its keywords (and vector)."""
        rows = (
            await session.execute(
                select(
                    FaqEntry.id, FaqEntry.question, FaqEntry.alternate_questions, FaqEntry.answer
                )
                .where(
                    FaqEntry.tenant_id == tenant_id,
                    FaqEntry.enabled.is_(True),
                    FaqEntry.visibility == "public",
                )
                .order_by(FaqEntry.priority.desc(), FaqEntry.id)
            )
        ).all()
        choices: list[str] = []
        entries: list[tuple[str, str, str]] = []
        for entry_id, question, alternates, answer in rows:
            for phrasing in [question, *alternates]:
                choices.append(keywords(phrasing))
                entries.append((entry_id, answer, phrasing))
        index = _Index(choices, entries)
        if self._embedder is not None and entries:
            phrasings = [e[2] for e in entries]
            index.vectors = await self._encode(self._embedder(), tenant_id, phrasings)
        return index

    async def _encode(self, embedder: Embedder, tenant_id: str, phrasings: list[str]) -> Vectors:
        known = self._vectors.get(tenant_id, {})
        new = sorted({p for p in phrasings if p not in known})
        if new:
            known = {**known, **dict(zip(new, await embedder.embed(new), strict=True))}
        self._vectors[tenant_id] = {p: known[p] for p in phrasings}
        return np.stack([known[p] for p in phrasings])

    async def match(
        self, session: AsyncSession, tenant_id: str, text: str, threshold: float | None = None
    ) -> FaqMatch | None:
        """The best-scoring entry for ``text``, or None when the tenant has no FAQ.

        With ``threshold``, a fuzzy match that clears it is taken without encoding the text
        (the message pipeline's hot path pays for the model only when spelling is not enough).
        """
        index = await self._indexes.load(tenant_id, lambda: self._build(session, tenant_id))
        if not index.choices:
            return None
        scores = _scores(keywords(text), index.choices)
        confident = threshold is not None and float(scores.max()) >= threshold
        if index.vectors is not None and self._embedder is not None and not confident:
            query = (await self._embedder().embed([text]))[0]
            scores = np.maximum(scores, semantic_score(index.vectors @ query))
        position = int(np.argmax(scores))  # ties: the first, i.e. the highest priority
        entry_id, answer, phrasing = index.entries[position]
        return FaqMatch(entry_id, answer, float(scores[position]), phrasing)
