"""BM25 keyword scoring (bm25s) over a namespace's chunks, held in memory next to the vectors.

The same index serves SQLite and PostgreSQL: FTS5 and ``tsvector`` rank differently (FTS5 is
BM25, ``ts_rank`` is not), so scores and therefore fused rankings would differ by database. bm25s
builds a sparse matrix for 10,000 chunks in a fraction of a second and scores a query in
well under a millisecond.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

STOPWORDS = frozenset(
    """
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves please hi hello thanks thank
""".split()
)
_TOKEN = re.compile(r"[^\W_]{2,}", re.UNICODE)


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Lower-cased, lightly stemmed content words."""
    return [_stem(w) for w in _TOKEN.findall(text.lower()) if w not in STOPWORDS]


class KeywordIndex:
    """BM25 over a fixed list of texts (rebuilt when the namespace changes).

    Scores are divided by the query's *self score*: the BM25 score of an average-length text
    holding each query word once, i.e. the sum of the words' IDF (unknown words count with the
    highest IDF). The result, clipped to 0..1, is how much of the query's information a text
    matches: an absolute scale, unlike division by the best score, so a weak match stays weak
    and the fused score can carry thresholds.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        import bm25s

        self.size = len(texts)
        self._retriever = bm25s.BM25()
        corpus = [tokens(text) or [""] for text in texts]
        if corpus:
            self._retriever.index(corpus, show_progress=False)
        self._vocab: dict[str, int] = dict(getattr(self._retriever, "vocab_dict", {}) or {})
        self._df = Counter(t for words in corpus for t in set(words))

    def idf(self, term: str) -> float:
        """Lucene's BM25 IDF of ``term`` in this corpus."""
        df = self._df.get(term, 0)
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def bm25(self, query: str) -> npt.NDArray[np.float32]:
        """The raw BM25 score of every text for ``query`` (zeros when no query word is known)."""
        known = [t for t in dict.fromkeys(tokens(query)) if t in self._vocab]
        if not known or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """BM25 over the query's self score, clipped to 0..1."""
        raw = self.bm25(query)
        self_score = sum(self.idf(t) for t in dict.fromkeys(tokens(query)))
        if self_score <= 0:
            return raw
        share: npt.NDArray[np.float32] = np.minimum(raw / np.float32(self_score), 1.0)
        return share.astype(np.float32)
