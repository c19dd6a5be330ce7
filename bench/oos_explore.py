"""Out-of-scope scores compared on Banking77 with unseen intents (the split of intent_banking77.py).

Every 7th intent (11 of 77) is held out of training. A probe classifier is fitted on 90 % of the
remaining training examples; the other 10 % (in-scope, never fitted) calibrate each score's
threshold at the 5 % quantile. The test split then gives, for each score:

- recall on the unseen intents at 2 / 5 / 10 % of in-scope test messages wrongly rejected (the
  threshold read off the test split: an oracle curve, for comparison only);
- recall and wrongly-rejected share at the threshold calibrated on training data alone (what a
  deployed model gets);
- AUROC.

Scores where higher means "in scope". Combinations are logistic models (or boosted trees) fitted
on training data only, with a leave-intents-out split of the *training* set (``loio_frames``: the
known intents dealt into ``OOS_FOLDS`` folds, 3 by default as in the classifier, each left out of
one probe trained on every ``OOS_PROBE_EVERY``-th example, 2 by default as in the classifier).
The last column is that training-only figure: recall at the 5 % in-scope quantile on the
left-out training intents (in-sample for the fitted combiners, so optimistic for them).
"logistic LOIO: LR prob + SVM + kNN1 + word coverage (shipped)" is the gate IntentClassifier
learns (``bench/intent_banking77.py`` measures the shipped model end to end).

Run: ``taskset -c 1 .venv/bin/python bench/oos_explore.py`` (uses the cached MiniLM vectors under
``var/bench/``, written by intent_banking77.py).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Callable

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits

from common import table
from frontdesk.understanding.intent import (
    IntentClassifier,
    TrainingSettings,
    _familiarity,
    _softmax,
    _split,
)
from intent_banking77 import CACHE, load

Scores = dict[str, np.ndarray]


def fit_probe(texts: list[str], labels: list[str], vectors: np.ndarray) -> IntentClassifier:
    return IntentClassifier._fit(texts, labels, vectors, TrainingSettings())


class Space:
    """Embedding-space statistics of the training examples (the probe's references)."""

    def __init__(self, vectors: np.ndarray, labels: list[str], names: list[str]) -> None:
        y = np.array([names.index(label) for label in labels])
        self.refs = vectors
        self.y = y
        means = np.stack([vectors[y == c].mean(axis=0) for c in range(len(names))])
        self.means = means
        centred = vectors - means[y]
        cov = centred.T @ centred / len(vectors) + 1e-3 * np.eye(vectors.shape[1])
        self.precision = np.linalg.inv(cov)
        self.centroids = means / np.linalg.norm(means, axis=1, keepdims=True)
        self.global_mean = vectors.mean(axis=0)
        gcent = vectors - self.global_mean
        gcov = gcent.T @ gcent / len(vectors) + 1e-3 * np.eye(vectors.shape[1])
        self.global_precision = np.linalg.inv(gcov)

    def mahalanobis(self, x: np.ndarray) -> np.ndarray:
        """Squared Mahalanobis distance of each row to each class mean (shared covariance)."""
        xp = x @ self.precision
        quad = (xp * x).sum(axis=1, keepdims=True)
        mp = self.means @ self.precision
        mquad = (mp * self.means).sum(axis=1)
        return quad - 2 * x @ mp.T + mquad[None, :]

    def background(self, x: np.ndarray) -> np.ndarray:
        d = x - self.global_mean
        return ((d @ self.global_precision) * d).sum(axis=1)


def all_scores(
    model: IntentClassifier, space: Space, texts: list[str], vectors: np.ndarray, temp: float
) -> Scores:
    a = model._a
    words = model._words.transform(texts)
    chars = model._chars.transform(texts)
    features = sparse.hstack(
        [words, chars, sparse.csr_matrix(vectors * model.meta["embedding_weight"])]
    ).tocsr()
    svm = np.asarray(features @ model._svm + a["svm_bias"])
    logits = np.asarray(features @ model._lr + a["lr_bias"])
    log_proba = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    sim = vectors @ space.refs.T
    votes, signals = model._votes(texts, vectors)
    proba = _softmax(votes, temp)
    top_sim = -np.sort(-sim, axis=1)[:, :10]
    maha = space.mahalanobis(vectors)
    pred = votes.argmax(axis=1)
    rows = np.arange(len(texts))
    sorted_votes = -np.sort(-votes, axis=1)
    out: Scores = {
        "ensemble max softmax": proba.max(axis=1),
        "ensemble vote margin (top1 - top2)": sorted_votes[:, 0] - sorted_votes[:, 1],
        "ensemble max vote": sorted_votes[:, 0],
        "LR max probability": np.exp(log_proba.max(axis=1)),
        "LR max logit": logits.max(axis=1),
        "LR energy (logsumexp)": np.logaddexp.reduce(logits, axis=1),
        "SVM max score": svm.max(axis=1),
        "kNN cosine k=1 (MiniLM)": top_sim[:, 0],
        "kNN cosine k=5 (5th)": top_sim[:, 4],
        "kNN cosine k=10 mean": top_sim.mean(axis=1),
        "centroid cosine max": (vectors @ space.centroids.T).max(axis=1),
        "Mahalanobis (shared cov)": -maha.min(axis=1),
        "Mahalanobis to predicted intent": -maha[rows, pred],
        "relative Mahalanobis": -(maha.min(axis=1) - space.background(vectors)),
    }
    tfidf = sparse.hstack([words, chars]).tocsr()
    out["_signals"] = signals
    out["_pred"] = pred
    out["_tfidf"] = tfidf
    return out


def unit_rows(m: sparse.csr_matrix) -> sparse.csr_matrix:
    return sparse.diags(1 / np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel() + 1e-9)) @ m


def tfidf_knn(train_tfidf: sparse.csr_matrix, query: sparse.csr_matrix) -> np.ndarray:
    norm = unit_rows
    sim = (norm(query) @ norm(train_tfidf).T).toarray()
    return sim.max(axis=1)


def measure(s_in: np.ndarray, s_out: np.ndarray, s_cal: np.ndarray) -> list[str]:
    cells = []
    for q in (0.02, 0.05, 0.10):
        thr = np.quantile(s_in, q)
        cells.append(f"{(s_out < thr).mean():.1%}")
    thr = np.quantile(s_cal, 0.05)
    cells.append(f"{(s_out < thr).mean():.1%} @ {(s_in < thr).mean():.1%}")
    both = np.concatenate([s_in, s_out])
    ranks = both.argsort().argsort()
    auroc = (ranks[: len(s_in)].sum() - len(s_in) * (len(s_in) - 1) / 2) / (len(s_in) * len(s_out))
    cells.append(f"{auroc:.3f}")
    return cells


class Probe:
    """A classifier fitted on 90 % of some intents' examples, calibrated on the other 10 %."""

    def __init__(
        self, texts: list[str], labels: list[str], vectors: np.ndarray, every: int = 1
    ) -> None:
        fit, held = _split(labels, 0.1, 0)
        fit = fit[::every]
        self.model = fit_probe([texts[i] for i in fit], [labels[i] for i in fit], vectors[fit])
        self.space = Space(vectors[fit], [labels[i] for i in fit], self.model.labels)
        self.fit_tfidf = sparse.hstack(
            [
                self.model._words.transform([texts[i] for i in fit]),
                self.model._chars.transform([texts[i] for i in fit]),
            ]
        ).tocsr()
        fit_y = np.array([self.model.labels.index(labels[i]) for i in fit])
        words = self.model._words.transform([texts[i] for i in fit])
        chars = self.model._chars.transform([texts[i] for i in fit])
        onehot = sparse.csr_matrix(
            (np.ones(len(fit)), (fit_y, np.arange(len(fit)))),
            shape=(len(self.model.labels), len(fit)),
        )
        self.word_seen = ((onehot @ words) > 0).astype(np.float32).T.tocsr()
        self.char_seen = ((onehot @ chars) > 0).astype(np.float32).T.tocsr()
        self.unigram = np.array(
            [" " not in t for t in self.model.meta["word_vocab"]], dtype=np.float32
        )
        fv = vectors[fit]
        loo = fv @ fv.T
        np.fill_diagonal(loo, -1)
        same = np.where(fit_y[:, None] == fit_y[None, :], loo, -1).max(axis=1)
        self.class_typical = np.array(
            [np.median(same[fit_y == c]) for c in range(len(self.model.labels))]
        )
        self.fit_y = fit_y
        self.fit_vectors = fv
        held_texts = [texts[i] for i in held]
        votes, _ = self.model._votes(held_texts, vectors[held])
        truth = np.array([self.model.labels.index(labels[i]) for i in held])
        self.temp = min(
            np.geomspace(0.1, 20, 40),
            key=lambda t: -np.log(_softmax(votes, t)[np.arange(len(truth)), truth]).sum(),
        )
        self.reference: np.ndarray | None = None
        self.cal = self.scores(held_texts, vectors[held])

    def scores(self, texts: list[str], vectors: np.ndarray) -> Scores:
        out = all_scores(self.model, self.space, texts, vectors, self.temp)
        out["TF-IDF nearest example cosine"] = tfidf_knn(self.fit_tfidf, out.pop("_tfidf"))
        signals = out.pop("_signals")[:, :3]  # the three the familiarity gate averages
        pred = self.model._votes(texts, vectors)[0].argmax(axis=1)
        top3 = np.argsort(-self.model._votes(texts, vectors)[0], axis=1)[:, :3]
        words = self.model._words.transform(texts)
        chars = self.model._chars.transform(texts)
        rows = np.arange(len(texts))
        for kind, m, seen in (("word", words, self.word_seen), ("char", chars, self.char_seen)):
            sq = m.multiply(m).tocsr()
            total = np.asarray(sq.sum(axis=1)).ravel() + 1e-9
            per_class = (sq @ seen).toarray() / total[:, None]
            out[f"{kind} coverage by predicted intent"] = per_class[rows, pred]
            out[f"{kind} coverage by top-3 intents (max)"] = np.take_along_axis(
                per_class, top3, 1
            ).max(1)
        sim = vectors @ self.fit_vectors.T
        in_pred = np.where(self.fit_y[None, :] == pred[:, None], sim, -1).max(axis=1)
        out["kNN1 in predicted intent - intent's typical kNN1"] = in_pred - self.class_typical[pred]
        out["kNN1 in predicted intent"] = in_pred
        uni = words.multiply(self.unigram[None, :]).tocsr()
        usq = uni.multiply(uni).tocsr()
        utotal = np.asarray(usq.sum(axis=1)).ravel() + 1e-9
        out["unigram coverage by predicted intent"] = (usq @ self.word_seen).toarray()[
            rows, pred
        ] / utotal
        if self.reference is None:
            self.reference = np.sort(signals, axis=0).T.copy()
        out["current familiarity gate"] = _familiarity(self.reference, signals)
        return out


def standardised(scores: Scores, cal: Scores, names: list[str]) -> np.ndarray:
    """Each score as (x - median) / IQR of the in-scope calibration values, clipped."""
    cols = []
    for name in names:
        q25, q50, q75 = np.quantile(cal[name], [0.25, 0.5, 0.75])
        cols.append(np.clip((scores[name] - q50) / max(q75 - q25, 1e-9), -10, 10))
    return np.stack(cols, axis=1)


def rank_mean(scores: Scores, cal: Scores, names: list[str]) -> np.ndarray:
    ranks = [
        np.searchsorted(np.sort(cal[name]), scores[name], side="right") / len(cal[name])
        for name in names
    ]
    return np.mean(ranks, axis=0)


def loio_frames(
    texts: list[str], labels: list[str], vectors: np.ndarray, folds: int
) -> list[tuple[Scores, Scores]]:
    """Per fold of intents: (in-scope held, pseudo-unseen) scores from a probe without them."""
    intents = sorted(set(labels))
    frames = []
    for f in range(folds):
        out = {intent for i, intent in enumerate(intents) if i % folds == f}
        keep = [i for i, label in enumerate(labels) if label not in out]
        gone = [i for i, label in enumerate(labels) if label in out]
        probe = Probe(
            [texts[i] for i in keep], [labels[i] for i in keep], vectors[keep], PROBE_EVERY
        )
        frames.append((probe.cal, probe.scores([texts[i] for i in gone], vectors[gone])))
    return frames


def combined(
    frames: list[tuple[Scores, Scores]], names: list[str], c: float = 1.0
) -> Callable[[Scores, Scores], np.ndarray]:
    """A logistic model over standardised scores, fitted on leave-intents-out frames."""
    from sklearn.linear_model import LogisticRegression

    xs, ys = [], []
    for inside, outside in frames:
        cal = inside
        xs += [standardised(inside, cal, names), standardised(outside, cal, names)]
        ys += [np.zeros(len(inside[names[0]])), np.ones(len(outside[names[0]]))]
    lr = LogisticRegression(C=c, max_iter=1000, class_weight="balanced")
    lr.fit(np.concatenate(xs), np.concatenate(ys))
    return lambda scores, cal: -lr.decision_function(standardised(scores, cal, names))


def boosted(
    frames: list[tuple[Scores, Scores]], names: list[str]
) -> Callable[[Scores, Scores], np.ndarray]:
    """Gradient-boosted trees over the same standardised scores (a nonlinear combiner)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    xs, ys = [], []
    for inside, outside in frames:
        xs += [standardised(inside, inside, names), standardised(outside, inside, names)]
        ys += [np.zeros(len(inside[names[0]])), np.ones(len(outside[names[0]]))]
    model = HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.05, max_leaf_nodes=15, class_weight="balanced", random_state=0
    )
    model.fit(np.concatenate(xs), np.concatenate(ys))
    return lambda scores, cal: -model.predict_proba(standardised(scores, cal, names))[:, 1]


def per_intent(
    score: Callable[[Scores, Scores], np.ndarray], weight: float = 20.0
) -> Callable[[Scores, Scores], np.ndarray]:
    """``score`` shifted so each predicted intent has its own 5 % in-scope threshold.

    Each intent's threshold is its held-out quantile shrunk toward the global one, with the
    global one counting as ``weight`` messages (about 13 held-out messages per intent here).
    """

    def shifted(scores: Scores, cal: Scores) -> np.ndarray:
        ref, pred = score(cal, cal), cal["_pred"]
        overall = np.quantile(ref, 0.05)
        offset = np.zeros(int(max(pred.max(), scores["_pred"].max())) + 1)
        for intent in np.unique(pred):
            mine = ref[pred == intent]
            own = np.quantile(mine, 0.05)
            offset[intent] = (len(mine) * own + weight * overall) / (len(mine) + weight) - overall
        return score(scores, cal) - offset[scores["_pred"]]

    return shifted


def loio_recall(
    frames: list[tuple[Scores, Scores]], score: Callable[[Scores, Scores], np.ndarray]
) -> float:
    """Mean recall at the 5 % in-scope quantile across the training folds (model selection)."""
    out = []
    for inside, outside in frames:
        thr = np.quantile(score(inside, inside), 0.05)
        out.append((score(outside, inside) < thr).mean())
    return float(np.mean(out))


def main() -> int:
    started = time.perf_counter()
    train_texts, train_labels = load("train.csv")
    test_texts, test_labels = load("test.csv")
    cached = np.load(CACHE)
    train_vectors, test_vectors = cached["train"], cached["test"]
    intents = sorted(set(train_labels))
    unseen = set(intents[::7])
    keep = [i for i, label in enumerate(train_labels) if label not in unseen]
    k_texts = [train_texts[i] for i in keep]
    k_labels = [train_labels[i] for i in keep]
    k_vectors = train_vectors[keep]
    with threadpool_limits(limits=1):
        probe = Probe(k_texts, k_labels, k_vectors)
        test = probe.scores(test_texts, test_vectors)
        frames = loio_frames(k_texts, k_labels, k_vectors, FOLDS)
    cal = probe.cal
    is_out = np.array([label in unseen for label in test_labels])
    acc = np.mean(
        np.array(probe.model.labels)[probe.model._votes(test_texts, test_vectors)[0].argmax(1)][
            ~is_out
        ]
        == np.array(test_labels)[~is_out]
    )
    singles = sorted(k for k in test if not k.startswith("_"))
    methods: dict[str, Callable[[Scores, Scores], np.ndarray]] = {
        name: (lambda n: lambda s, c: s[n])(name) for name in singles
    }
    methods["rank mean of all scores"] = lambda s, c: rank_mean(s, c, singles)
    for subset_name, subset in SUBSETS.items():
        methods[f"rank mean: {subset_name}"] = (lambda ns: lambda s, c: rank_mean(s, c, ns))(subset)
        shipped = " (shipped)" if subset_name == SHIPPED else ""
        methods[f"logistic LOIO: {subset_name}{shipped}"] = combined(frames, subset)
    methods["logistic LOIO: all scores"] = combined(frames, singles)
    methods["logistic LOIO: all scores, C=0.05"] = combined(frames, singles, 0.05)
    methods["boosted trees LOIO: all scores"] = boosted(frames, singles)
    shipped_score = methods[f"logistic LOIO: {SHIPPED} (shipped)"]
    methods["shipped, per-intent thresholds (shrunk to the global one)"] = per_intent(shipped_score)
    methods["boosted trees LOIO: LR prob + SVM + kNN1 + word coverage"] = boosted(
        frames, SUBSETS["LR prob + SVM + kNN1 + word coverage"]
    )
    rows = []
    for name, fn in methods.items():
        rows.append(
            [
                name,
                *measure(fn(test, cal)[~is_out], fn(test, cal)[is_out], fn(cal, cal)),
                f"{loio_recall(frames, fn):.1%}",
            ]
        )
    print(
        table(
            f"Out-of-scope scores, {len(unseen)} unseen intents, {is_out.sum()} unseen / "
            f"{(~is_out).sum()} in-scope test messages (probe accuracy on in-scope {acc:.2%})",
            [
                "score",
                "recall@2%",
                "recall@5%",
                "recall@10%",
                "calibrated (recall @ wrong)",
                "AUROC",
                f"train LOIO recall@5% ({FOLDS} folds; in-sample for combiners)",
            ],
            rows,
        )
    )
    shipped = methods[f"logistic LOIO: {SHIPPED} (shipped)"]
    accepted = is_out & (shipped(test, cal) >= np.quantile(shipped(cal, cal), 0.05))
    guessed = np.array(probe.model.labels)[
        probe.model._votes(test_texts, test_vectors)[0].argmax(1)
    ]
    pairs = Counter(zip(np.array(test_labels)[accepted], guessed[accepted], strict=True))
    print(f"Unseen messages the shipped gate accepts ({accepted.sum()}), taken for:")
    for (truth, guess), n in pairs.most_common(10):
        print(f"  {n:3d}  {truth} -> {guess}")
    print(f"  {time.perf_counter() - started:.0f} s")
    return 0


SHIPPED = "LR prob + SVM + kNN1 + word coverage"
FOLDS = int(os.environ.get("OOS_FOLDS", "3"))
PROBE_EVERY = int(os.environ.get("OOS_PROBE_EVERY", "2"))  # as TrainingSettings.gate_probe_every
SUBSETS = {
    "LR prob + SVM + kNN1": [
        "LR max probability", "SVM max score", "kNN cosine k=1 (MiniLM)",
    ],
    "+ TF-IDF NN": [
        "LR max probability", "SVM max score", "kNN cosine k=1 (MiniLM)",
        "TF-IDF nearest example cosine",
    ],
    "+ TF-IDF NN + margin + Mahalanobis": [
        "LR max probability", "SVM max score", "kNN cosine k=1 (MiniLM)",
        "TF-IDF nearest example cosine", "ensemble vote margin (top1 - top2)",
        "Mahalanobis to predicted intent",
    ],
    "LR prob + SVM + kNN1 + word coverage": [
        "LR max probability", "SVM max score", "kNN cosine k=1 (MiniLM)",
        "word coverage by predicted intent",
    ],
    "LR prob + SVM + kNN1 + word & char coverage": [
        "LR max probability", "SVM max score", "kNN cosine k=1 (MiniLM)",
        "word coverage by predicted intent", "char coverage by predicted intent",
    ],
}  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
