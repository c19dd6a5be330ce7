"""Intent classifier: learns from a few examples, rejects what it was not taught, stores safely."""

from __future__ import annotations

import io

import numpy as np
import pytest

from frontdesk.knowledge.embeddings import LocalEmbedder
from frontdesk.understanding.intent import IntentClassifier, TrainingError, _familiarity
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
