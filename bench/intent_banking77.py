"""Intent classification on Banking77: accuracy, latency, training time and out-of-scope handling.

Trains ``frontdesk.understanding.intent.IntentClassifier`` on ``train.csv`` (10,003 examples, 77
intents) and evaluates on ``test.csv`` (3,080). Also prints the out-of-scope figures: every 7th
intent is held out of training, the threshold is the one calibrated on held-out in-scope
training examples, and the test split gives recall on the unseen intents and the share of
in-scope messages wrongly rejected.

Run: ``.venv/bin/python bench/intent_banking77.py`` (embeddings of the 13k texts are computed
once and cached under ``var/bench/``).
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from common import MODELS, table, verdict
from frontdesk.knowledge.embeddings import LocalEmbedder
from frontdesk.understanding.intent import IntentClassifier

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "banking77"
CACHE = Path("var/bench/banking77-minilm.npz")
TARGET_ACCURACY, TARGET_P99_MS, TARGET_TRAIN_S = 0.945, 20.0, 120.0


def load(name: str) -> tuple[list[str], list[str]]:
    with (DATA / name).open(newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def embeddings(
    embedder: LocalEmbedder, train: list[str], test: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    if CACHE.exists():
        cached = np.load(CACHE)
        if len(cached["train"]) == len(train) and len(cached["test"]) == len(test):
            return cached["train"], cached["test"]
    started = time.perf_counter()
    vectors = embedder.encode_sync(train), embedder.encode_sync(test)
    print(f"  encoded {len(train) + len(test):,} texts in {time.perf_counter() - started:.0f} s")
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(CACHE, train=vectors[0], test=vectors[1])
    return vectors


def accuracy(
    model: IntentClassifier, texts: list[str], labels: list[str], vectors: np.ndarray
) -> float:
    predicted = np.array(model.labels)[model.scores(texts, vectors).argmax(axis=1)]
    return float((predicted == np.array(labels)).mean())


def latency(model: IntentClassifier, embedder: LocalEmbedder, texts: list[str]) -> list[float]:
    """Milliseconds per message: encode + classify, one message at a time."""
    timings = []
    for text in texts:
        started = time.perf_counter()
        model.predict([text], embedder.encode_sync([text]))
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def out_of_scope(
    train: tuple[list[str], list[str], np.ndarray], test: tuple[list[str], list[str], np.ndarray]
) -> tuple[float, float, int]:
    intents = sorted(set(train[1]))
    unseen = set(intents[::7])
    keep = [i for i, label in enumerate(train[1]) if label not in unseen]
    model = IntentClassifier.train(
        [train[0][i] for i in keep], [train[1][i] for i in keep], train[2][keep]
    )
    predictions = model.predict(test[0], test[2])
    pairs = list(zip(predictions, test[1], strict=True))
    oos = [p.out_of_scope for p, label in pairs if label in unseen]
    wrongly = [p.out_of_scope for p, label in pairs if label not in unseen]
    return sum(oos) / len(oos), sum(wrongly) / len(wrongly), len(unseen)


def main() -> int:
    embedder = LocalEmbedder(MODELS, threads=2)
    train_texts, train_labels = load("train.csv")
    test_texts, test_labels = load("test.csv")
    train_vectors, test_vectors = embeddings(embedder, train_texts, test_texts)

    with threadpool_limits(limits=1):  # BLAS threads beside torch's: p99 suffers (issue 5)
        started = time.perf_counter()
        model = IntentClassifier.train(train_texts, train_labels, train_vectors)
        train_s = time.perf_counter() - started
        test_acc = accuracy(model, test_texts, test_labels, test_vectors)
        timings = latency(model, embedder, test_texts[:500])
        recall, rejected, n_unseen = out_of_scope(
            (train_texts, train_labels, train_vectors), (test_texts, test_labels, test_vectors)
        )
    size = len(model.to_bytes())
    p50 = statistics.median(timings)
    p99 = statistics.quantiles(timings, n=100)[98]
    rows = [
        ["test accuracy (3,080 messages)", f"{test_acc:.2%}", verdict(test_acc >= TARGET_ACCURACY)],
        ["training on 10,003 examples (s)", f"{train_s:.1f}", verdict(train_s < TARGET_TRAIN_S)],
        [
            "encode + classify p50 / p99 (ms)",
            f"{p50:.1f} / {p99:.1f}",
            verdict(p99 < TARGET_P99_MS),
        ],
        [
            f"out of scope: recall on {n_unseen} unseen intents",
            f"{recall:.1%}",
            verdict(recall >= 0.9),
        ],
        ["out of scope: in-scope wrongly rejected", f"{rejected:.1%}", verdict(rejected <= 0.05)],
        ["stored model size", f"{size / 1e6:.1f} MB", ""],
    ]
    print(
        table(
            "Intent classification on Banking77 (MiniLM + TF-IDF; SVM + LR + nearest example)",
            ["figure", "value", "target"],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
