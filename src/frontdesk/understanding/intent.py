"""Intent classification (U2): trained per tenant from example utterances, offline.

Three views of a message vote: a linear SVM and a logistic regression over word n-grams,
character n-grams and the MiniLM sentence embedding, and the nearest training example of each
intent (cosine similarity of embeddings). Their scores are standardised per message and summed.
On Banking77 this beats each part alone (see ``bench/intent_banking77.py``).

Confidence is a softmax over the summed scores with a temperature fitted on a held-out slice of
the training data. A message is out of scope ("none of my intents") when it looks unfamiliar:
the gate is fitted on that slice so that a set share of in-scope messages is rejected (see
``IntentClassifier._calibrate``).

Models serialise to ``.npz`` bytes — arrays and JSON, never pickle — so a stored model can be
loaded without running code from the database.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

Matrix = npt.NDArray[np.float32]
MIN_EXAMPLES_PER_INTENT = 2
MIN_CALIBRATION = 200  # held-out messages needed to trust their distribution for the gate


@dataclass(frozen=True)
class Prediction:
    """The best intent (``None`` when out of scope), its confidence and the runners-up."""

    intent: str | None
    confidence: float
    ranking: list[tuple[str, float]]
    out_of_scope: bool


@dataclass
class TrainingSettings:
    """Training knobs (defaults chosen on a validation split of Banking77's training data)."""

    svm_c: float = 0.2
    lr_c: float = 20.0
    embedding_weight: float = 2.0
    reject_rate: float = 0.05  # share of held-out in-scope messages the floors may reject
    # Caps on the floors: with few examples per intent the held-out slice is tiny and every
    # message in it looks certain, which would set the floors too high to let paraphrases in.
    max_threshold: float = 0.5
    max_similarity_floor: float = 0.4
    holdout: float = 0.1
    seed: int = 0


class TrainingError(ValueError):
    """The examples cannot train a model (too few, one intent only, …)."""


def _vectorizers() -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, dtype=np.float32
    )
    return words, chars


def _standardise(scores: Matrix) -> Matrix:
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    out: Matrix = (scores - mean) / np.where(std > 0, std, 1.0)
    return out


def _softmax(scores: Matrix, temperature: float) -> Matrix:
    scaled = scores * temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    out: Matrix = exp / exp.sum(axis=1, keepdims=True)
    return out


class IntentClassifier:
    """A trained model; build with :meth:`train` or :meth:`from_bytes`."""

    def __init__(self, arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        self._a = arrays
        self.meta = meta
        self.labels: list[str] = meta["labels"]
        self._words, self._chars = _vectorizers()
        self._restore(self._words, meta["word_vocab"], arrays["word_idf"])
        self._restore(self._chars, meta["char_vocab"], arrays["char_idf"])
        # Prediction-time layouts: weights transposed for sparse @ dense, training examples
        # sorted by intent so the nearest one of each is a single reduceat.
        self._svm = np.ascontiguousarray(arrays["svm_coef"].T)
        self._lr = np.ascontiguousarray(arrays["lr_coef"].T)
        order = np.argsort(arrays["ref_labels"], kind="stable")
        self._refs = np.ascontiguousarray(arrays["refs"][order].T)
        self._starts = np.searchsorted(arrays["ref_labels"][order], np.arange(len(self.labels)))

    @staticmethod
    def _restore(vectorizer: Any, vocab: list[str], idf: Any) -> None:
        vectorizer.vocabulary_ = {term: i for i, term in enumerate(vocab)}
        vectorizer.idf_ = np.asarray(idf, dtype=np.float64)

    # -- training ---------------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        vectors: Matrix,
        settings: TrainingSettings | None = None,
    ) -> IntentClassifier:
        """Fit on ``texts`` (with their sentence ``vectors``), calibrating on a held-out slice."""
        settings = settings or TrainingSettings()
        _check(texts, labels, vectors)
        fit, held = _split(list(labels), settings.holdout, settings.seed)
        probe = cls._fit([texts[i] for i in fit], [labels[i] for i in fit], vectors[fit], settings)
        meta, arrays = probe._calibrate(
            [texts[i] for i in held], [labels[i] for i in held], vectors[held], settings
        )
        model = cls._fit(texts, labels, vectors, settings)
        model.meta.update(meta)
        model._a.update(arrays)
        return model

    @classmethod
    def _fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        vectors: Matrix,
        settings: TrainingSettings,
    ) -> IntentClassifier:
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC

        words, chars = _vectorizers()
        features = sparse.hstack(
            [
                words.fit_transform(texts),
                chars.fit_transform(texts),
                sparse.csr_matrix(vectors * settings.embedding_weight),
            ]
        ).tocsr()
        svm = LinearSVC(C=settings.svm_c, random_state=settings.seed).fit(features, labels)
        lr = LogisticRegression(C=settings.lr_c, max_iter=300).fit(features, labels)
        names = [str(label) for label in svm.classes_]
        index = {name: i for i, name in enumerate(names)}
        arrays = {
            "word_idf": words.idf_.astype(np.float32),
            "char_idf": chars.idf_.astype(np.float32),
            "svm_coef": svm.coef_.astype(np.float32),
            "svm_bias": svm.intercept_.astype(np.float32),
            "lr_coef": lr.coef_.astype(np.float32),
            "lr_bias": lr.intercept_.astype(np.float32),
            "refs": np.asarray(vectors, dtype=np.float32),
            "ref_labels": np.asarray([index[label] for label in labels], dtype=np.int32),
        }
        meta = {
            "labels": names,
            "word_vocab": _vocab(words),
            "char_vocab": _vocab(chars),
            "embedding_weight": settings.embedding_weight,
            "temperature": 1.0,
            "gate": "floors",
            "threshold": 0.0,
            "similarity_floor": -1.0,
        }
        return cls(arrays, meta)

    def _calibrate(
        self, texts: list[str], labels: list[str], vectors: Matrix, settings: TrainingSettings
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Fit the softmax temperature and the out-of-scope gate on held-out messages.

        Three signals say how familiar a message is: the logistic regression's top
        probability, the SVM's top score, and the similarity of the nearest training example.
        With enough held-out messages the gate averages where each signal falls in its
        held-out distribution and rejects below the ``reject_rate`` quantile of that average
        (on Banking77 with unseen intents, the average catches more than any one signal).
        With few, it falls back to two capped floors: on the confidence and on the nearest
        example's similarity.
        """
        known = [i for i, label in enumerate(labels) if label in self.labels]
        if not known:
            return {}, {}
        scores, signals = self._votes([texts[i] for i in known], vectors[known])
        truth = np.array([self.labels.index(labels[i]) for i in known])
        best = min(
            np.geomspace(0.1, 20, 40),
            key=lambda t: -np.log(_softmax(scores, t)[np.arange(len(truth)), truth] + 1e-9).sum(),
        )
        meta: dict[str, Any] = {"temperature": float(best)}
        if len(known) >= MIN_CALIBRATION:
            reference = np.sort(signals, axis=0).T.copy()
            familiarity = _familiarity(reference, signals)
            meta.update(gate="distribution", familiarity_floor=float(
                np.quantile(familiarity, settings.reject_rate)))  # fmt: skip
            return meta, {"calibration": reference.astype(np.float32)}
        confidence = _softmax(scores, best).max(axis=1)
        share = settings.reject_rate / 2
        meta.update(
            gate="floors",
            threshold=min(float(np.quantile(confidence, share)), settings.max_threshold),
            similarity_floor=min(
                float(np.quantile(signals[:, 2], share)), settings.max_similarity_floor
            ),
        )
        return meta, {}

    # -- prediction -------------------------------------------------------------------------

    def scores(self, texts: Sequence[str], vectors: Matrix) -> Matrix:
        """The summed standardised votes, one row per text, one column per intent."""
        return self._votes(texts, vectors)[0]

    def _votes(self, texts: Sequence[str], vectors: Matrix) -> tuple[Matrix, Matrix]:
        """The summed votes, and per text the three familiarity signals.

        The signals, one column each: the logistic regression's top probability, the SVM's
        top score, and the similarity of the nearest training example.
        """
        a = self._a
        features = sparse.hstack(
            [
                self._words.transform(texts),
                self._chars.transform(texts),
                sparse.csr_matrix(vectors * self.meta["embedding_weight"]),
            ]
        ).tocsr()
        svm = features @ self._svm + a["svm_bias"]
        logits = features @ self._lr + a["lr_bias"]
        log_proba = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
        similarity = np.asarray(vectors, dtype=np.float32) @ self._refs
        nearest = np.maximum.reduceat(similarity, self._starts, axis=1)
        svm, log_proba = np.asarray(svm), np.asarray(log_proba)
        total = _standardise(svm) + _standardise(log_proba) + _standardise(nearest)
        signals = np.stack([np.exp(log_proba.max(axis=1)), svm.max(axis=1), nearest.max(axis=1)], 1)
        return total, signals

    def predict(self, texts: Sequence[str], vectors: Matrix, top: int = 3) -> list[Prediction]:
        """The intent of each text, with a calibrated confidence; out of scope below threshold."""
        if not texts:
            return []
        votes, signals = self._votes(texts, vectors)
        proba = _softmax(votes, self.meta["temperature"])
        rejected_rows = self._rejected(proba.max(axis=1), signals)
        predictions = []
        for row, rejected in zip(proba, rejected_rows, strict=True):
            order = np.argsort(-row)[:top]
            ranking = [(self.labels[i], round(float(row[i]), 4)) for i in order]
            best, confidence = ranking[0]
            intent = None if rejected else best
            predictions.append(Prediction(intent, confidence, ranking, rejected))
        return predictions

    def _rejected(self, confidence: Matrix, signals: Matrix) -> list[bool]:
        """Which messages the out-of-scope gate turns away."""
        if self.meta.get("gate") == "distribution":
            familiarity = _familiarity(self._a["calibration"], signals)
            return [bool(f < self.meta["familiarity_floor"]) for f in familiarity]
        floor, threshold = self.meta["similarity_floor"], self.meta["threshold"]
        return [
            bool(c < threshold or s < floor) for c, s in zip(confidence, signals[:, 2], strict=True)
        ]

    # -- storage ----------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The model as compressed ``.npz`` bytes (arrays + JSON metadata, no pickle)."""
        buffer = io.BytesIO()
        meta = np.frombuffer(json.dumps(self.meta).encode(), dtype=np.uint8)
        np.savez_compressed(buffer, meta=meta, **self._a)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> IntentClassifier:
        """Load a model written by :meth:`to_bytes` (``allow_pickle`` stays off)."""
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files if name != "meta"}
            meta = json.loads(stored["meta"].tobytes().decode())
        return cls(arrays, meta)


def _familiarity(reference: Matrix, signals: Matrix) -> Matrix:
    """The mean, over the signals, of each one's quantile among the held-out in-scope values."""
    ranks = [
        np.searchsorted(reference[k], signals[:, k], side="right") / reference.shape[1]
        for k in range(reference.shape[0])
    ]
    out: Matrix = np.mean(ranks, axis=0)
    return out


def _vocab(vectorizer: Any) -> list[str]:
    terms = [""] * len(vectorizer.vocabulary_)
    for term, i in vectorizer.vocabulary_.items():
        terms[i] = term
    return terms


def _check(texts: Sequence[str], labels: Sequence[str], vectors: Matrix) -> None:
    if not (len(texts) == len(labels) == len(vectors)):
        raise TrainingError("texts, labels and vectors differ in length")
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    if len(counts) < 2:
        raise TrainingError("at least two intents are needed")
    thin = sorted(label for label, n in counts.items() if n < MIN_EXAMPLES_PER_INTENT)
    if thin:
        raise TrainingError(f"intents with fewer than {MIN_EXAMPLES_PER_INTENT} examples: {thin}")


def _split(labels: list[str], share: float, seed: int) -> tuple[list[int], list[int]]:
    """Stratified: about ``share`` of each intent's examples held out (none of a pair)."""
    rng = np.random.default_rng(seed)
    fit, held = [], []
    for label in sorted(set(labels)):
        members = [i for i, value in enumerate(labels) if value == label]
        rng.shuffle(members)
        n = max(1, round(len(members) * share)) if len(members) > 2 else 0
        held += members[:n]
        fit += members[n:]
    return sorted(fit), sorted(held)
