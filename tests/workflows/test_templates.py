"""The ready-made workflows: each validates, simulates to its end on its sample, and installs."""

from __future__ import annotations

import httpx
import pytest

from frontdesk.workflows.nodes.registry import NODES
from frontdesk.workflows.simulator import Sample, simulate
from frontdesk.workflows.templates import TEMPLATES, sample_of
from frontdesk.workflows.validate import is_valid, validate
from tests.conftest import TenantCtx

EXPECTED = {
    "lead_lifecycle": {"tier": "hot"},
    "quote_approval": {"status": "issued"},
    "order_status_inquiry": {"status": "shipped"},
    "csat_follow_up": {"score": 2},
}


@pytest.mark.parametrize("key", sorted(TEMPLATES))
async def test_template_validates_and_simulates_to_completion(key: str):
    template = TEMPLATES[key]
    problems = validate(template["definition"], NODES)
    assert is_valid(problems), problems
    trace = await simulate(template["definition"], Sample(**sample_of(key)))
    assert trace.status == "completed", trace
    if key in EXPECTED:
        assert trace.output == EXPECTED[key]
    assert all(s["status"] in ("completed", "skipped") for s in trace.steps), trace.steps


async def test_refund_over_the_limit_asks_for_approval_and_rejection_hands_over():
    sample = Sample(**{**sample_of("refund_request"), "approvals": {"approve": "reject"}})
    trace = await simulate(TEMPLATES["refund_request"]["definition"], sample)
    assert trace.path[-3:] == ["sorry", "handoff", "end"]
    assert {c["effect"] for c in trace.effects} >= {"http", "send_message", "escalate"}
    assert not any(c["node_id"] == "refund" for c in trace.effects), "no refund was simulated"


async def test_simulated_time_passes_at_once():
    trace = await simulate(TEMPLATES["customer_onboarding"]["definition"],
                           Sample(**{**sample_of("customer_onboarding"), "events": {}}))
    assert trace.status == "completed"
    assert trace.elapsed_virtual_seconds >= 86400 + 259200
    assert trace.path[-2:] == ["call", "end"], "no reply: the timeout edge"


async def test_install_and_simulate_through_the_api(client: httpx.AsyncClient, tenant: TenantCtx):
    listed = (await client.get("/api/v1/workflow-templates", headers=tenant.headers)).json()
    assert {t["key"] for t in listed} == set(TEMPLATES)
    r = await client.post("/api/v1/workflow-templates/quote_approval/install", headers=tenant.headers,
                          json={"bot": "sales"})
    assert r.status_code == 201, r.text
    workflow = r.json()
    assert workflow["active_version_id"] and workflow["template"] == "quote_approval"
    r = await client.post(f"/api/v1/workflows/{workflow['id']}/simulate", headers=tenant.headers,
                          json={"entity_type": "quote", "approvals": {"approve": "reject"}})
    assert r.status_code == 200, r.text
    assert r.json()["path"][-2:] == ["revise", "end"]
    r = await client.post(f"/api/v1/workflows/{workflow['id']}/copy", headers=tenant.headers, json={"bot": "support"})
    assert r.status_code == 201 and r.json()["bot"] == "support"
