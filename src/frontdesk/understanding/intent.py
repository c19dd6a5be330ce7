"""Intent classification (U2): trained per tenant from example utterances, offline.

Three views of a message vote: a linear SVM and a logistic regression over word n-grams,
character n-grams and the MiniLM sentence embedding, and the nearest training example of each
intent (cosine similarity of embeddings). Their scores are standardised per message and summed.
On Banking77 this beats each part alone (see ``bench/intent_banking77.py``).

Confidence is a softmax over the summed scores with a temperature fitted on a held-out slice of
the training data. A message is out of scope ("none of my intents") when it looks unfamiliar.
Four signals say how familiar it is (the logistic regression's top probability, the SVM's top
score, the nearest training example's similarity and how much of its wording the predicted
intent's examples use); with enough data a small logistic model learns how they combine by
leaving some of the tenant's own intents out of training and treating their examples as out of
scope (``_learn_gate``). Every gate is set on the held-out slice so that a chosen share of
in-scope messages is rejected (``IntentClassifier._calibrate``). Figures and the methods compared:
``bench/oos_explore.py``.

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
    # The learned gate: intents split into this many folds, each left out of one probe model
    # (0 turns it off) trained on every ``gate_probe_every``-th training example (half the
    # cost, the same recall on Banking77); it needs at least ``gate_min_intents`` intents.
    gate_folds: int = 3
    gate_probe_every: int = 2
    gate_min_intents: int = 6


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
        self._seen: sparse.csc_matrix | None = None
        if "seen_indptr" in arrays:
            seen = sparse.csr_matrix(
                (
                    np.ones(len(arrays["seen_indices"]), dtype=np.float32),
                    arrays["seen_indices"],
                    arrays["seen_indptr"],
                ),
                shape=(len(self.labels), len(meta["word_vocab"])),
            )
            self._seen = seen.T.tocsc()

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
        if meta.get("gate") == "distribution":
            learned = _learn_gate(texts, labels, vectors, (fit, held), settings)
            if learned is not None:
                meta.pop("familiarity_floor")
                arrays.pop("calibration")
                meta.update(probe._set_gate(learned, held, texts, vectors, settings))
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
        word_features = words.fit_transform(texts)
        features = sparse.hstack(
            [
                word_features,
                chars.fit_transform(texts),
                sparse.csr_matrix(vectors * settings.embedding_weight),
            ]
        ).tocsr()
        svm = LinearSVC(C=settings.svm_c, random_state=settings.seed).fit(features, labels)
        lr = LogisticRegression(C=settings.lr_c, max_iter=300).fit(features, labels)
        names = [str(label) for label in svm.classes_]
        index = {name: i for i, name in enumerate(names)}
        rows = np.asarray([index[label] for label in labels])
        members = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, np.arange(len(rows)))),
            shape=(len(names), len(rows)),
        )
        seen = sparse.csr_matrix(members @ word_features)
        seen.sort_indices()
        arrays = {
            "word_idf": words.idf_.astype(np.float32),
            "char_idf": chars.idf_.astype(np.float32),
            "svm_coef": svm.coef_.astype(np.float32),
            "svm_bias": svm.intercept_.astype(np.float32),
            "lr_coef": lr.coef_.astype(np.float32),
            "lr_bias": lr.intercept_.astype(np.float32),
            "refs": np.asarray(vectors, dtype=np.float32),
            "ref_labels": rows.astype(np.int32),
            "seen_indptr": seen.indptr.astype(np.int32),
            "seen_indices": seen.indices.astype(np.int32),
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

        With enough held-out messages the gate averages where the first three familiarity
        signals (see :meth:`_votes`) fall in their held-out distribution and rejects below the
        ``reject_rate`` quantile of that average; :meth:`train` then replaces it by the learned
        gate when there are enough intents to leave some out. With few held-out messages it
        falls back to two capped floors: on the confidence and on the nearest example's
        similarity.
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
            reference = np.sort(signals[:, :3], axis=0).T.copy()
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

    def _set_gate(
        self,
        gate: LearnedGate,
        held: list[int],
        texts: Sequence[str],
        vectors: Matrix,
        settings: TrainingSettings,
    ) -> dict[str, Any]:
        """The learned gate, its ceiling set on this probe's held-out in-scope messages."""
        signals = self._votes([texts[i] for i in held], vectors[held])[1]
        center, scale = _robust_scale(signals)
        unfamiliarity = gate.apply(signals, center, scale)
        return {
            "gate": "learned",
            "gate_center": center.tolist(),
            "gate_scale": scale.tolist(),
            "gate_weights": gate.weights.tolist(),
            "gate_bias": gate.bias,
            "unfamiliarity_ceiling": float(np.quantile(unfamiliarity, 1 - settings.reject_rate)),
        }

    # -- prediction -------------------------------------------------------------------------

    def scores(self, texts: Sequence[str], vectors: Matrix) -> Matrix:
        """The summed standardised votes, one row per text, one column per intent."""
        return self._votes(texts, vectors)[0]

    def _votes(self, texts: Sequence[str], vectors: Matrix) -> tuple[Matrix, Matrix]:
        """The summed votes, and per text the four familiarity signals.

        The signals, one column each: the logistic regression's top probability, the SVM's top
        score, the similarity of the nearest training example, and the word coverage (the
        share of the text's TF-IDF mass on words and word pairs the predicted intent's
        examples use; 1 for models stored before it existed).
        """
        a = self._a
        words = self._words.transform(texts)
        features = sparse.hstack(
            [
                words,
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
        coverage = self._coverage(words, total.argmax(axis=1))
        signals = np.stack(
            [np.exp(log_proba.max(axis=1)), svm.max(axis=1), nearest.max(axis=1), coverage], 1
        )
        return total, signals

    def _coverage(self, words: sparse.csr_matrix, predicted: npt.NDArray[np.int64]) -> Matrix:
        """Per text, the share of its squared word TF-IDF weights the predicted intent has seen."""
        if self._seen is None:
            return np.ones(len(predicted), dtype=np.float32)
        mass = words.multiply(words).tocsr()
        total = np.asarray(mass.sum(axis=1)).ravel()
        covered = (mass @ self._seen).toarray()[np.arange(len(predicted)), predicted]
        out: Matrix = np.where(total > 0, covered / np.where(total > 0, total, 1.0), 1.0)
        return out.astype(np.float32)

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
        gate = self.meta.get("gate")
        if gate == "learned":
            unfamiliarity = LearnedGate.from_meta(self.meta).apply(
                signals, np.asarray(self.meta["gate_center"]), np.asarray(self.meta["gate_scale"])
            )
            return [bool(u > self.meta["unfamiliarity_ceiling"]) for u in unfamiliarity]
        if gate == "distribution":
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


@dataclass(frozen=True)
class LearnedGate:
    """A logistic model over robustly scaled familiarity signals: higher means less familiar."""

    weights: Matrix
    bias: float

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> LearnedGate:
        """The gate a stored model's metadata describes."""
        return cls(np.asarray(meta["gate_weights"], dtype=np.float32), float(meta["gate_bias"]))

    def apply(self, signals: Matrix, center: Matrix, scale: Matrix) -> Matrix:
        """The unfamiliarity of each row of ``signals`` (scaled by ``center`` and ``scale``)."""
        out: Matrix = _scaled(signals, center, scale) @ self.weights + self.bias
        return out


def _robust_scale(signals: Matrix) -> tuple[Matrix, Matrix]:
    """Median and interquartile range of each signal over in-scope messages."""
    low, center, high = np.quantile(signals, [0.25, 0.5, 0.75], axis=0)
    std = signals.std(axis=0)
    scale: Matrix = np.where(high - low > 1e-6, high - low, np.where(std > 1e-6, std, 1.0))
    return center, scale


def _scaled(signals: Matrix, center: Matrix, scale: Matrix) -> Matrix:
    out: Matrix = np.clip((signals - center) / scale, -10.0, 10.0)
    return out


def _learn_gate(
    texts: Sequence[str],
    labels: Sequence[str],
    vectors: Matrix,
    split: tuple[list[int], list[int]],
    settings: TrainingSettings,
) -> LearnedGate | None:
    """Fit the gate on intents left out of training: what unseen intents look like here.

    The intents are dealt into ``gate_folds`` folds. For each, a probe model learns (every
    ``gate_probe_every``-th example of) the training slice of the other intents; its signals on
    their held-out messages (in scope) and on every example of the fold's intents (out of
    scope), each scaled by the in-scope median and spread, train one logistic model. ``None``
    when there are too few intents.
    """
    from sklearn.linear_model import LogisticRegression

    intents = sorted(set(labels))
    folds = settings.gate_folds
    if folds < 2 or len(intents) < max(settings.gate_min_intents, 2 * folds):
        return None
    fit, held = split
    rows: list[Matrix] = []
    targets: list[npt.NDArray[np.float64]] = []
    for fold in range(folds):
        left_out = set(intents[fold::folds])
        train = [i for i in fit if labels[i] not in left_out][:: settings.gate_probe_every]
        inside = [i for i in held if labels[i] not in left_out]
        outside = [i for i, label in enumerate(labels) if label in left_out]
        probe = IntentClassifier._fit(
            [texts[i] for i in train], [labels[i] for i in train], vectors[train], settings
        )
        known = probe._votes([texts[i] for i in inside], vectors[inside])[1]
        unseen = probe._votes([texts[i] for i in outside], vectors[outside])[1]
        center, scale = _robust_scale(known)
        rows += [_scaled(known, center, scale), _scaled(unseen, center, scale)]
        targets += [np.zeros(len(known)), np.ones(len(unseen))]
    model = LogisticRegression(class_weight="balanced", max_iter=1000)
    model.fit(np.concatenate(rows), np.concatenate(targets))
    return LearnedGate(model.coef_[0].astype(np.float32), float(model.intercept_[0]))


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
