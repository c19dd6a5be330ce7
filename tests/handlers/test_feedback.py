"""Feedback: ratings and reactions become CSAT, kept and reported."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from frontdesk.core.clock import utcnow
from frontdesk.feedback.rating import explicit_rating, from_sentiment
from tests.conftest import TenantCtx
from tests.handlers.helpers import Chat


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("5", 5),
        ("4/5", 4),
        ("rating: 2", 2),
        ("3 stars", 3),
        ("⭐⭐⭐⭐", 4),
        ("👍", 5),
        ("👎👎", 1),
        ("😐", 3),
        ("6/5", None),
        ("I have 5 kids", None),
        ("🚀", None),
        ("", None),
    ],
)
def test_explicit_ratings(text: str, score: int | None) -> None:
    rating = explicit_rating(text)
    assert (rating.score if rating else None) == score


def test_words_score_by_sentiment() -> None:
    assert [from_sentiment(s) for s in (0.9, 0.2, 0.0, -0.2, -0.9)] == [5, 4, 3, 2, 1]


async def test_ratings_are_kept_thanked_and_reported(client: httpx.AsyncClient, tenant: TenantCtx):
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    reply = await chat.last_reply("👍")
    assert reply["text"] == "Thank you for your feedback!"
    assert (reply["meta"]["handler"], reply["meta"]["rating"]) == ("feedback", 5)
    reply = await chat.last_reply("1/5")
    assert reply["text"].startswith("Thank you for telling us")

    summary = (await client.get("/api/v1/feedback/summary", headers=tenant.headers)).json()
    assert (summary["count"], summary["average"], summary["csat"]) == (2, 3.0, 0.5)
    assert summary["distribution"] == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1}
    assert summary["by_channel"]["webchat"]["count"] == 2
    unhappy = (
        await client.get("/api/v1/feedback", headers=tenant.headers, params={"max_score": 2})
    ).json()
    assert [f["score"] for f in unhappy] == [1]
    later = {"since": (utcnow() + timedelta(minutes=1)).isoformat()}
    r = await client.get("/api/v1/feedback", headers=tenant.headers, params=later)
    assert r.status_code == 200 and r.json() == []
    for path in ("/api/v1/feedback", "/api/v1/feedback/summary"):  # a time without its zone
        r = await client.get(path, headers=tenant.headers, params={"since": "2026-01-01T00:00:00"})
        assert r.status_code == 422, path
        assert r.headers["content-type"] == "application/problem+json"


async def test_a_rule_asks_for_a_rating_and_reads_words(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    rule = {
        "name": "ask after thanks",
        "conditions": {
            "conditions": [{"field": "text", "operator": "contains", "value": "solved"}]
        },
        "handler": "feedback",
        "params": {"ask": True},
    }
    assert (
        await client.post("/api/v1/routing/rules", headers=tenant.headers, json=rule)
    ).is_success
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    reply = await chat.last_reply("that solved it")
    assert reply["text"].startswith("How would you rate")
    reply = await chat.last_reply("The agent was wonderful, really helpful")
    assert (reply["meta"]["rating"], reply["meta"]["source"]) == (5, "text")
    [kept] = (await client.get("/api/v1/feedback", headers=tenant.headers)).json()
    assert kept["comment"] == "The agent was wonderful, really helpful"
    assert kept["sentiment"] > 0.5


async def test_a_question_instead_of_a_rating_is_answered(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    rule = {
        "name": "ask",
        "conditions": {"conditions": [{"field": "text", "operator": "contains", "value": "done"}]},
        "handler": "feedback",
        "params": {"ask": True},
    }
    await client.post("/api/v1/routing/rules", headers=tenant.headers, json=rule)
    chat = await Chat(client, tenant.slug, tenant.headers).open()
    await chat.last_reply("we are done")
    reply = await chat.last_reply("What is your return policy?")
    assert reply["meta"]["handler"] == "faq"
    assert (await client.get("/api/v1/feedback", headers=tenant.headers)).json() == []
