"""Matching quality of the fuzzy FAQ matcher on the demo shop's FAQ."""

from __future__ import annotations

from rapidfuzz import process

from frontdesk.demo import FAQ
from frontdesk.knowledge.faq_index import _score, keywords
from frontdesk.tenants.settings import TenantPreferences

THRESHOLD = TenantPreferences().faq_threshold
PARAPHRASES = [
    ("how long will shipping take", "How long does shipping take?"),
    ("when does my order arrive", "How long does shipping take?"),
    ("is shipping free?", "How much does shipping cost?"),
    ("what does delivery cost", "How much does shipping cost?"),
    ("do you ship to canada", "Do you ship internationally?"),
    ("where is my package??", "Where is my order?"),
    ("I want to track my order", "Where is my order?"),
    ("how can I cancel my order", "Can I change or cancel my order?"),
    ("what's your return policy", "What is your return policy?"),
    ("how do i return something", "How do I return an item?"),
    ("when do I get my refund", "When will I get my refund?"),
    ("can i pay with paypal", "What payment methods do you accept?"),
    ("my card was declined", "Why was my payment declined?"),
    ("do you have a promo code", "Do you have a discount code?"),
    ("I forgot my password", "How do I reset my password?"),
    ("what are your hours", "What are your opening hours?"),
    ("does it have a warranty", "Is my product under warranty?"),
    ("can you gift wrap it", "Do you offer gift wrapping?"),
    ("I need a different size", "Can I exchange an item for a different size?"),
    ("Can I pay in installments with Klarna?", "Can I pay in installments?"),
]
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
    _, score, position = process.extractOne(keywords(text), choices, scorer=_score)
    return owners[position], score


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
