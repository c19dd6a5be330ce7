"""The understanding API: training data, training jobs, versions, activation and analysis."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import TenantCtx

EXAMPLES = {
    "track_order": ["Where is my order?", "Has my parcel shipped?", "Track my package",
                    "When will my delivery arrive?", "My order hasn't arrived yet",
                    "Status of my order please"],
    "refund": ["I want my money back", "How do I get a refund?", "Refund my purchase",
               "Can I return this for a refund?", "When will I get my refund?",
               "Please reimburse me"],
    "opening_hours": ["When are you open?", "What are your opening hours?",
                      "Are you open on Sunday?", "What time do you close?",
                      "Is the store open now?", "Opening times please"],
}  # fmt: skip
URL = "/api/v1/understanding"


async def add_examples(client: httpx.AsyncClient, tenant: TenantCtx) -> None:
    body = {"examples": [{"intent": i, "text": t} for i, ts in EXAMPLES.items() for t in ts]}
    r = await client.post(f"{URL}/examples", headers=tenant.headers, json=body)
    assert r.status_code == 201 and r.json() == {"added": 18}


async def train(client: httpx.AsyncClient, tenant: TenantCtx) -> dict[str, Any]:
    r = await client.post(f"{URL}/models", headers=tenant.headers)
    assert r.status_code == 202, r.text
    model = r.json()
    assert model["status"] == "training" and model["version"] >= 1
    for _ in range(600):
        model = (await client.get(f"{URL}/models/{model['id']}", headers=tenant.headers)).json()
        if model["status"] != "training":
            return model
        await asyncio.sleep(0.1)
    raise AssertionError("training did not finish")


async def test_train_activate_and_analyze(client: httpx.AsyncClient, tenant: TenantCtx):
    await add_examples(client, tenant)
    assert (await client.get(f"{URL}/intents", headers=tenant.headers)).json() == {
        "opening_hours": 6, "refund": 6, "track_order": 6}  # fmt: skip
    # Before any model: no intent, the rest of the analysis still works.
    r = await client.post(
        f"{URL}/analyze",
        headers=tenant.headers,
        json={"text": "Where is my parcel? Mail me at bob@example.com"},
    )
    assert r.json()["intent"] is None
    assert r.json()["entities"][0]["value"] == "bob@example.com"

    model = await train(client, tenant)
    assert model["status"] == "ready", model
    assert model["examples"] == 18 and model["intents"] == 3
    assert 0 <= model["report"]["accuracy"] <= 1
    assert set(model["report"]["per_intent"]) == set(EXAMPLES)

    r = await client.post(f"{URL}/models/{model['id']}/activate", headers=tenant.headers)
    assert r.status_code == 200 and r.json()["active"] is True
    r = await client.post(
        f"{URL}/analyze",
        headers=tenant.headers,
        json={"text": "I'd like my money back, this is terrible!"},
    )
    analysis = r.json()
    assert analysis["intent"]["name"] == "refund"
    assert analysis["sentiment"]["label"] == "negative"
    assert analysis["language"] == "en"


async def test_examples_are_deduplicated_and_deletable(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    body = {"examples": [{"intent": "refund", "text": "Refund  me"}] * 2}
    assert (await client.post(f"{URL}/examples", headers=tenant.headers, json=body)).json() == {
        "added": 1}  # fmt: skip
    again = {"examples": [{"intent": "refund", "text": "Refund me"}]}
    assert (await client.post(f"{URL}/examples", headers=tenant.headers, json=again)).json() == {
        "added": 0}  # fmt: skip
    [example] = (await client.get(f"{URL}/examples", headers=tenant.headers)).json()
    r = await client.delete(f"{URL}/examples/{example['id']}", headers=tenant.headers)
    assert r.status_code == 204
    r = await client.delete(f"{URL}/examples/{example['id']}", headers=tenant.headers)
    assert r.status_code == 404


async def test_csv_import_and_its_bad_inputs(client: httpx.AsyncClient, tenant: TenantCtx):
    csv_headers = {**tenant.headers, "Content-Type": "text/csv"}
    good = "text,category\nWhere is my card?,card_arrival\nCard not here yet,card_arrival\n"
    r = await client.post(f"{URL}/examples/import", headers=csv_headers, content=good)
    assert r.status_code == 201 and r.json() == {"added": 2}
    for body, status in [
        ("words,label\nx,y\n", 422),
        ("text,intent\n,refund\n", 422),
        (b"text,intent\n\xff\xfe,refund\n", 400),
    ]:
        r = await client.post(f"{URL}/examples/import", headers=csv_headers, content=body)
        assert r.status_code == status, r.text
        assert r.headers["content-type"] == "application/problem+json"
    r = await client.post(f"{URL}/examples/import", headers=tenant.headers, json={"text": "x"})
    assert r.status_code == 415


async def test_training_needs_two_intents_and_only_ready_versions_activate(
    client: httpx.AsyncClient, tenant: TenantCtx
):
    r = await client.post(f"{URL}/models", headers=tenant.headers)
    assert r.status_code == 422
    await add_examples(client, tenant)
    r = await client.post(f"{URL}/models", headers=tenant.headers)
    pending = r.json()
    r = await client.post(f"{URL}/models/{pending['id']}/activate", headers=tenant.headers)
    assert r.status_code in (200, 409)  # 409 while it is still training


async def test_tenant_entity_patterns(client: httpx.AsyncClient, tenant: TenantCtx):
    settings = {"entity_patterns": {"order_id": r"ORD-\d{6}"}, "region": "DE"}
    r = await client.patch("/api/v1/tenant", headers=tenant.headers, json={"settings": settings})
    assert r.status_code == 200, r.text
    r = await client.post(
        f"{URL}/analyze",
        headers=tenant.headers,
        json={"text": "Order ORD-123456, ruf 030 901820 an"},
    )
    found = {(e["type"], e["value"]) for e in r.json()["entities"]}
    assert found == {("order_id", "ORD-123456"), ("phone", "+4930901820")}
    hostile = {"settings": {"entity_patterns": {"evil": r"(a)\1"}}}
    r = await client.patch("/api/v1/tenant", headers=tenant.headers, json=hostile)
    assert r.status_code == 422


async def test_a_viewer_cannot_change_training_data(client: httpx.AsyncClient, tenant: TenantCtx):
    r = await client.post("/api/v1/api-keys", headers=tenant.headers, json={"role": "viewer"})
    viewer = {"Authorization": f"Bearer {r.json()['key']}"}
    body = {"examples": [{"intent": "x", "text": "y"}]}
    assert (await client.post(f"{URL}/examples", headers=viewer, json=body)).status_code == 403
    assert (await client.get(f"{URL}/intents", headers=viewer)).status_code == 200
