"""The intent LLM fallback and the tenant's intent threshold."""

from __future__ import annotations

import httpx

from frontdesk.runtime import Runtime
from frontdesk.understanding.fallback import schema
from frontdesk.understanding.intent import Prediction
from frontdesk.understanding.service import thresholded
from tests.conftest import TenantCtx
from tests.llm.conftest import configure, fake, fake_server, openai_entry, settings
from tests.llm.fake_provider import FakeProvider, Reply
from tests.understanding.test_api import URL, add_examples, train

__all__ = ["fake", "fake_server", "settings"]  # the fake LLM's fixtures
UNSURE = "blorp zazzle quux"


async def ready_model(client: httpx.AsyncClient, tenant: TenantCtx) -> None:
    await add_examples(client, tenant)
    model = await train(client, tenant)
    r = await client.post(f"{URL}/models/{model['id']}/activate", headers=tenant.headers)
    assert r.status_code == 200, r.text


async def analyze(client: httpx.AsyncClient, tenant: TenantCtx, text: str) -> dict:
    r = await client.post(f"{URL}/analyze", headers=tenant.headers, json={"text": text})
    assert r.status_code == 200, r.text
    return dict(r.json()["intent"])


def test_the_answer_is_constrained_to_the_tenants_intents() -> None:
    enum = schema(["refund", "track_order"])["properties"]["intent"]["enum"]  # type: ignore[index]
    assert enum == ["refund", "track_order", "none"]


async def test_an_unsure_message_is_classified_by_the_model(
    client: httpx.AsyncClient, runtime: Runtime, tenant: TenantCtx, fake: FakeProvider
):
    await ready_model(client, tenant)
    assert (await analyze(client, tenant, UNSURE))["out_of_scope"] is True  # no model yet

    await configure(runtime, tenant.id, providers=[openai_entry(fake, "nlu")])
    fake.script("nlu", Reply.json({"intent": "refund"}))
    intent = await analyze(client, tenant, UNSURE)
    assert (intent["name"], intent["out_of_scope"], intent["source"]) == ("refund", False, "llm")
    [call] = fake.received("nlu")
    assert "track_order" in str(call.body)

    fake.script("nlu", Reply.json({"intent": "none"}))
    assert (await analyze(client, tenant, UNSURE))["out_of_scope"] is True
    fake.script("nlu", *[Reply.error(500)] * 10)
    assert (await analyze(client, tenant, UNSURE))["out_of_scope"] is True

    sure = await analyze(client, tenant, "Where is my order? Has my parcel shipped?")
    assert (sure["name"], sure["source"]) == ("track_order", "model")
    assert len(fake.received("nlu")) == 1 + 1 + 3  # a sure message asks nobody


def test_the_tenants_threshold_rejects_weak_predictions() -> None:
    weak = Prediction("refund", 0.55, [("refund", 0.55), ("track_order", 0.45)], False)
    assert thresholded(weak, 0.5) is weak
    assert thresholded(weak, 0.6) == Prediction(None, 0.55, weak.ranking, True)
    rejected = Prediction(None, 0.3, [("refund", 0.3)], True)
    assert thresholded(rejected, 0.0) is rejected


async def test_a_bad_threshold_is_refused(client: httpx.AsyncClient, tenant: TenantCtx):
    r = await client.patch(
        "/api/v1/tenant", headers=tenant.headers, json={"settings": {"intent_threshold": 2}}
    )
    assert r.status_code == 422
