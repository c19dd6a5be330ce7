"""Matching quality of the fuzzy FAQ matcher on the demo shop's FAQ."""

from __future__ import annotations

import numpy as np

from frontdesk.demo import FAQ, PARAPHRASES
from frontdesk.knowledge.faq_index import _scores, keywords
from frontdesk.tenants.settings import TenantPreferences

THRESHOLD = TenantPreferences().faq_threshold
OFF_TOPIC = [
    "my blender exploded and I want to talk to someone",
    "hello",
    "I want to speak to a human",
    "your product is terrible",
    "can you recommend a good laptop",
    "what's the weather like",
    "I was charged twice for order 12345",
    "the package arrived damaged",
    "thanks!",
    "are you a robot?",
    "I need an invoice for my company",
    "my order is missing an item",
]


def best(text: str) -> tuple[str, float]:
    choices, owners = [], []
    for question, alternates, _, _ in FAQ:
        for phrasing in [question, *alternates]:
            choices.append(keywords(phrasing))
            owners.append(question)
    scores = _scores(keywords(text), choices)
    position = int(np.argmax(scores))
    return owners[position], float(scores[position])


def test_paraphrases_find_their_entry_above_the_threshold():
    answered = [(text, *best(text)) for text, _ in PARAPHRASES]
    right = [
        t
        for (t, want), (_, got, score) in zip(PARAPHRASES, answered, strict=True)
        if got == want and score >= THRESHOLD
    ]
    wrong = [
        t
        for (t, want), (_, got, score) in zip(PARAPHRASES, answered, strict=True)
        if got != want and score >= THRESHOLD
    ]
    assert len(right) >= 19, set(t for t, _ in PARAPHRASES) - set(right)
    assert not wrong


def test_off_topic_messages_stay_below_the_threshold():
    scores = {text: best(text) for text in OFF_TOPIC}
    assert all(score < THRESHOLD for _, score in scores.values()), scores


def test_keywords_drop_stopwords_and_punctuation():
    assert keywords("Where's my ORDER?!") == "wheres order"
    assert keywords("can't log in") == "log"
    assert keywords("How do I?") == "how do i"  # nothing but stopwords: keep them
