"""Intent classifier: learns from a few examples, rejects what it was not taught, stores safely."""

from __future__ import annotations

import io

import numpy as np
import pytest

from frontdesk.knowledge.embeddings import LocalEmbedder
from frontdesk.understanding.intent import (
    IntentClassifier,
    TrainingError,
    TrainingSettings,
    _familiarity,
)
from tests.conftest import MODELS

EXAMPLES = {
    "track_order": [
        "Where is my order?", "Has my parcel shipped yet?", "I want to track my package",
        "When will my delivery arrive?", "What's the status of my order?",
        "My order hasn't arrived", "Can you tell me where my shipment is?",
        "Tracking number for my order please",
    ],
    "refund": [
        "I want my money back", "How do I get a refund?", "Please refund my purchase",
        "Can I return this for a refund?", "I was charged and want a refund",
        "Refund my order", "When will I get my refund?", "I need to be reimbursed",
    ],
    "change_password": [
        "How do I change my password?", "I forgot my password", "Reset my password",
        "I can't log in, need a new password", "Password change please",
        "How can I update my login password?", "My password doesn't work",
        "Help me reset the account password",
    ],
    "opening_hours": [
        "When are you open?", "What are your opening hours?", "Are you open on Sunday?",
        "What time do you close today?", "Business hours?", "Is the store open now?",
        "When do you open tomorrow?", "Opening times please",
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def embedder() -> LocalEmbedder:
    return LocalEmbedder(MODELS, batch_size=32)


@pytest.fixture(scope="module")
def model(embedder: LocalEmbedder) -> IntentClassifier:
    texts = [text for examples in EXAMPLES.values() for text in examples]
    labels = [label for label, examples in EXAMPLES.items() for _ in examples]
    return IntentClassifier.train(texts, labels, embedder.encode_sync(texts))


def predict(model: IntentClassifier, embedder: LocalEmbedder, text: str):
    [prediction] = model.predict([text], embedder.encode_sync([text]))
    return prediction


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("where's my stuff, it still hasn't come", "track_order"),
        ("give me my money back for the broken shoes", "refund"),
        ("I lost my password and can't sign in", "change_password"),
        ("are you open on saturday morning?", "opening_hours"),
    ],
)
def test_paraphrases_get_their_intent(model, embedder, text: str, intent: str):
    prediction = predict(model, embedder, text)
    assert (prediction.intent, prediction.out_of_scope) == (intent, False)
    assert prediction.ranking[0][0] == intent
    assert 0 < prediction.confidence <= 1


def test_unrelated_text_is_out_of_scope(model, embedder):
    prediction = predict(model, embedder, "What is the capital of Mongolia's neighbour?")
    assert prediction.out_of_scope and prediction.intent is None
    assert prediction.ranking  # the runners-up are still reported


def test_a_stored_model_predicts_the_same_and_holds_no_pickle(model, embedder):
    data = model.to_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        assert all(stored[name].dtype != object for name in stored.files)
    loaded = IntentClassifier.from_bytes(data)
    texts = ["refund please", "when do you open", "track my parcel"]
    vectors = embedder.encode_sync(texts)
    assert np.allclose(loaded.scores(texts, vectors), model.scores(texts, vectors), atol=1e-4)
    assert loaded.meta["threshold"] == model.meta["threshold"]


def test_empty_input_predicts_nothing(model, embedder):
    assert model.predict([], np.zeros((0, 384), dtype=np.float32)) == []
    assert predict(model, embedder, "").ranking


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        (["a", "b"], ["x", "x"], "two intents"),
        (["a", "b", "c"], ["x", "x", "y"], "fewer than 2"),
        (["a"], ["x", "y"], "differ in length"),
    ],
)
def test_bad_training_data_is_refused(texts, labels, message):
    vectors = np.zeros((len(texts), 384), dtype=np.float32)
    with pytest.raises(TrainingError, match=message):
        IntentClassifier.train(texts, labels, vectors)


def test_familiarity_is_the_mean_quantile_of_the_signals():
    reference = np.array([[0.1, 0.2, 0.3, 0.4], [1.0, 2.0, 3.0, 4.0]], dtype=np.float32)
    signals = np.array([[0.05, 0.5], [0.25, 2.5], [0.5, 5.0]], dtype=np.float32)
    assert np.allclose(_familiarity(reference, signals), [0.0, 0.5, 1.0])


# -- the learned out-of-scope gate (needs 200+ held-out messages: a synthetic tenant) --------

TOPICS = [
    "card", "loan", "mortgage", "pension", "insurance", "crypto", "savings", "cheque", "travel",
]  # fmt: skip
WORDS = {topic: [f"{topic}{k}" for k in range(8)] for topic in TOPICS}
FILLER = ["please", "help", "my", "the", "with", "I", "need", "about", "can", "you"]
UNSEEN = "travel"


def synthetic(topic: str, n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Texts mixing a topic's words with filler, and vectors around the topic's centre."""
    rng = np.random.default_rng(seed)
    centre = np.random.default_rng(TOPICS.index(topic)).normal(size=384)
    texts = [
        " ".join(rng.permutation([*rng.choice(WORDS[topic], 3), *rng.choice(FILLER, 4)]))
        for _ in range(n)
    ]
    vectors = centre + 1.5 * rng.normal(size=(n, 384))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return texts, vectors.astype(np.float32)


def synthetic_training(per_topic: int = 260) -> tuple[list[str], list[str], np.ndarray]:
    texts, labels, vectors = [], [], []
    for topic in TOPICS:
        if topic == UNSEEN:
            continue
        t, v = synthetic(topic, per_topic, seed=100 + TOPICS.index(topic))
        texts += t
        labels += [topic] * len(t)
        vectors.append(v)
    return texts, labels, np.concatenate(vectors)


@pytest.fixture(scope="module")
def gated() -> IntentClassifier:
    return IntentClassifier.train(*synthetic_training())


def test_the_gate_is_learned_from_intents_left_out_of_training(gated):
    assert gated.meta["gate"] == "learned"
    assert len(gated.meta["gate_weights"]) == 4
    texts, vectors = synthetic(UNSEEN, 200, seed=7)
    unseen = gated.predict(texts, vectors)
    assert np.mean([p.out_of_scope for p in unseen]) >= 0.9
    assert all(p.intent is None for p in unseen if p.out_of_scope)


def test_the_learned_gate_keeps_seen_intents_at_the_chosen_reject_rate(gated):
    rejected, correct = [], []
    for topic in ("card", "pension", "cheque"):
        texts, vectors = synthetic(topic, 200, seed=9)
        predictions = gated.predict(texts, vectors)
        rejected += [p.out_of_scope for p in predictions]
        correct += [p.intent == topic for p in predictions if not p.out_of_scope]
    assert np.mean(rejected) <= 0.12  # the gate was set to reject 5 % of held-out training
    assert np.mean(correct) >= 0.95


def test_the_gate_ceiling_follows_the_reject_rate_set_on_training_data():
    texts, labels, vectors = synthetic_training()
    strict = IntentClassifier.train(texts, labels, vectors, TrainingSettings(reject_rate=0.25))
    probe_texts, probe_vectors = synthetic("loan", 300, seed=11)
    share = np.mean([p.out_of_scope for p in strict.predict(probe_texts, probe_vectors)])
    assert 0.1 <= share <= 0.45


def test_a_stored_learned_gate_predicts_the_same(gated):
    data = gated.to_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as stored:
        assert {"seen_indptr", "seen_indices"} <= set(stored.files)
    loaded = IntentClassifier.from_bytes(data)
    assert {k: loaded.meta[k] for k in GATE} == {k: gated.meta[k] for k in GATE}
    texts, vectors = synthetic(UNSEEN, 20, seed=3)
    more, more_vectors = synthetic("loan", 20, seed=3)
    texts, vectors = texts + more, np.concatenate([vectors, more_vectors])
    assert loaded.predict(texts, vectors) == gated.predict(texts, vectors)


GATE = ["gate", "gate_center", "gate_scale", "gate_weights", "gate_bias", "unfamiliarity_ceiling"]


def test_too_few_intents_to_leave_out_keep_the_distribution_gate():
    texts, labels, vectors = synthetic_training()
    model = IntentClassifier.train(texts, labels, vectors, TrainingSettings(gate_min_intents=9))
    assert model.meta["gate"] == "distribution"
    assert "gate_weights" not in model.meta


def test_a_model_stored_before_word_coverage_still_predicts():
    texts, labels, vectors = synthetic_training(per_topic=40)
    model = IntentClassifier.train(texts, labels, vectors, TrainingSettings(gate_folds=0))
    arrays = {k: v for k, v in model._a.items() if not k.startswith("seen_")}
    old = IntentClassifier(arrays, model.meta)
    sample, sample_vectors = synthetic("card", 5, seed=5)
    assert [p.intent for p in old.predict(sample, sample_vectors)] == ["card"] * 5
    assert np.all(old._votes(sample, sample_vectors)[1][:, 3] == 1)
