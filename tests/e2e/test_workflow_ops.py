"""Workflow operations in Chromium: versions and diff, simulator, runs and timeline, audit log."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from frontdesk.demo import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import ARTIFACTS, VIEWER, Console
from tests.e2e.console_helpers import login, page_errors

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _node(node_id: str, kind: str, y: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": node_id, "type": kind, "position": {"x": 0, "y": y}, "data": data}


def _set(name: str, value: str) -> dict[str, Any]:
    return {"assignments": [{"name": name, "mode": "static", "value": value}]}


def _definition(threshold: int, with_note: bool) -> dict[str, Any]:
    """Big amounts wait an hour before the end; small ones end at once (v2 adds a note)."""
    rule = {"field": "input.amount", "operator": "greater", "value": threshold}
    nodes = [
        _node("start", "start", 0, {}),
        _node(
            "check",
            "condition",
            100,
            {"label": "Big amount?", "rules": {"logical": "AND", "conditions": [rule]}},
        ),
        _node("big", "set", 200, _set("size", "big")),
        _node("hold", "delay", 300, {"label": "Hold an hour", "seconds": 3600}),
        _node("small", "set", 200, _set("size", "small")),
        _node("end", "end", 400, {"output": {"size": "{{ vars.size }}"}}),
    ]
    edges = [
        ("start", "check", None),
        ("check", "big", "true"),
        ("big", "hold", None),
        ("hold", "end", None),
        ("check", "small", "false"),
    ]
    if with_note:
        nodes.append(_node("note", "set", 300, _set("note", "small order")))
        edges += [("small", "note", None), ("note", "end", None)]
    else:
        edges.append(("small", "end", None))
    return {
        "nodes": nodes,
        "edges": [
            {"id": f"{s}-{t}", "source": s, "target": t, **({"sourceHandle": h} if h else {})}
            for s, t, h in edges
        ],
        "triggers": [{"type": "manual"}],
    }


@dataclass
class Flow:
    id: str
    v1: str
    v2: str


class Api:
    """The JSON API through a logged-in browser context (cookie and CSRF header)."""

    def __init__(self, context: Any, url: str, email: str, password: str) -> None:
        self.context, self.url = context, url
        r = context.request.post(
            f"{url}/api/v1/auth/login",
            data={"tenant": "demo", "email": email, "password": password},
        )
        assert r.ok, r.text()
        self.csrf = r.json()["csrf_token"]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        r = self.context.request.fetch(
            f"{self.url}/api/v1{path}",
            method=method,
            data=body,
            headers={"X-CSRF-Token": self.csrf},
        )
        assert r.ok, f"{method} {path}: {r.status} {r.text()}"
        return r.json()

    def run(self, name: str, definition: dict[str, Any], run_input: dict[str, Any]) -> str:
        """Create ``definition`` as a workflow, version and activate it, start a run: its id."""
        wid = self.call("POST", "/workflows", {"name": name, "definition": definition})["id"]
        version = self.call("POST", f"/workflows/{wid}/versions", {"notes": "v1"})["id"]
        self.call("POST", f"/workflows/{wid}/activate", {"version_id": version})
        return str(self.call("POST", f"/workflows/{wid}/runs", {"input": run_input})["id"])


@pytest.fixture(scope="module")
def flow(console: Console, browser: Any) -> Iterator[Flow]:
    context = browser.new_context()
    api = Api(context, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    created = api.call(
        "POST", "/workflows", {"name": "Order sizes", "definition": _definition(100, False)}
    )
    wid = created["id"]
    v1 = api.call("POST", f"/workflows/{wid}/versions", {"notes": "first cut"})["id"]
    api.call("POST", f"/workflows/{wid}/activate", {"version_id": v1})
    api.call("PATCH", f"/workflows/{wid}", {"definition": _definition(50, True)})
    v2 = api.call("POST", f"/workflows/{wid}/versions", {"notes": "lower threshold, note"})["id"]
    context.close()
    yield Flow(wid, v1, v2)


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"workflow-{name}.png"), full_page=True)


def _versions(page: Any, url: str, flow: Flow) -> None:
    page.goto(f"{url}/workflows/{flow.id}/versions")
    history = page.get_by_role("region", name="Version history")
    rows = history.get_by_test_id("wf-version")
    rows.first.wait_for()
    assert rows.count() == 2
    assert "active" in rows.filter(has_text="first cut").inner_text()
    assert "v1" in rows.filter(has_text="lower threshold").inner_text()  # its parent
    compare = page.get_by_role("region", name="Compare")
    modified = compare.get_by_test_id("wf-node-modified").filter(has_text="check")
    modified.wait_for()
    change = modified.get_by_test_id("wf-param-change").inner_text()
    assert "data.rules.conditions.0.value" in change and "100" in change and "50" in change
    assert "~ modified" in modified.inner_text()
    added = compare.get_by_test_id("wf-node-added")
    assert "note" in added.inner_text() and "+ added" in added.inner_text()
    compare.get_by_role("tab", name="Transitions").click()
    assert compare.get_by_test_id("wf-edge-added").count() == 2
    assert "small → end" in compare.get_by_test_id("wf-edge-removed").inner_text()
    compare.get_by_role("tab", name="Raw JSON").click()
    raw = compare.get_by_test_id("wf-raw-diff")
    assert raw.locator(".wf-line-removed").filter(has_text='"value": 100').count() == 1
    assert raw.locator(".wf-line-added").filter(has_text='"value": 50').count() == 1
    _shot(page, "diff")
    page.once("dialog", lambda dialog: dialog.accept())
    rows.filter(has_text="lower threshold").get_by_role("button", name="Activate").click()
    page.get_by_text("Version 2 is now active").wait_for()
    rows.filter(has_text="lower threshold").get_by_text("active", exact=True).wait_for()
    assert rows.filter(has_text="first cut").get_by_role("button", name="Activate").count() == 1
    _shot(page, "versions")
    page.once("dialog", lambda dialog: dialog.accept())
    rows.filter(has_text="first cut").get_by_role("button", name="Restore").click()
    page.get_by_text("The draft now holds version 1's definition.").wait_for()
    compare.get_by_label("To").select_option("draft")
    compare.get_by_test_id("wf-diff-summary").filter(has_text="No change").wait_for()


def _simulate(page: Any, url: str, flow: Flow) -> None:
    page.goto(f"{url}/workflows/{flow.id}/simulate")
    form = page.get_by_role("form", name="Simulation input")
    form.get_by_label("Entity type").select_option("quote")
    form.get_by_role("button", name="Run simulation").click()
    trace = page.get_by_role("region", name="Trace")
    assert "completed" in trace.get_by_test_id("sim-outcome").inner_text()
    assert trace.get_by_test_id("sim-path").inner_text() == "Path: start → check → big → hold → end"
    trace.get_by_role("button", name="Next").click()
    assert trace.get_by_test_id("sim-current-node").inner_text() == "check"
    assert trace.get_by_test_id("sim-handle").inner_text() == "true"
    assert (
        "input.amount (12000) greater 100" in trace.get_by_test_id("sim-explanation").inner_text()
    )
    current = page.get_by_role("region", name="Draft nodes").locator("[aria-current=step]")
    assert current.inner_text().startswith("check")
    trace.get_by_role("button", name="4. hold").click()
    assert "waited for timer" in trace.get_by_test_id("sim-step-detail").inner_text()
    _shot(page, "simulate")
    form.get_by_label("Pasted JSON").check()
    form.get_by_label("Input JSON").fill("{amount: 1")
    form.get_by_role("button", name="Run simulation").click()
    assert "Not valid JSON" in form.get_by_role("alert").inner_text()


def _start(page: Any, url: str, flow: Flow, amount: int) -> None:
    page.goto(f"{url}/workflows/{flow.id}/runs")
    form = page.get_by_role("form", name="Start a run")
    form.get_by_label("Input (JSON, optional)").fill(f'{{"amount": {amount}}}')
    form.get_by_role("button", name="Start run").click()
    page.get_by_role("region", name="Timeline").wait_for()


def _runs(page: Any, url: str, flow: Flow) -> None:
    _start(page, url, flow, 10)
    page.get_by_role("heading", name="completed").wait_for(timeout=60_000)
    bars = page.get_by_test_id("gantt-bar")
    bars.nth(4).wait_for()
    assert bars.count() == 5
    names = [bars.nth(i).get_attribute("aria-label") or "" for i in range(5)]
    assert [n.split(" (")[0] for n in names] == [
        "1. start",
        "2. Big amount?",
        "3. small",
        "4. note",
        "5. end",
    ]
    assert "5 step(s), 100% succeeded" in page.get_by_test_id("run-summary").inner_text()
    bars.nth(1).click()
    detail = page.get_by_role("region", name="Step details")
    assert "input.amount (10) greater 50" in detail.inner_text()
    _shot(page, "run")

    _start(page, url, flow, 500)
    page.get_by_role("heading", name="waiting").wait_for(timeout=60_000)
    bars.nth(3).click()
    skip = page.get_by_role("form", name="Skip node")
    skip.get_by_label("Reason").fill("customer called")
    skip.get_by_role("button", name="Skip node").click()
    page.get_by_role("heading", name="completed").wait_for(timeout=60_000)
    # The timeline is fetched after the run's new status: wait for it to show the skip.
    expect(bars.nth(3)).to_have_attribute("aria-label", re.compile("skipped"))
    skipped = page.get_by_role("region", name="Step details").inner_text()
    assert "customer called" in skipped and ADMIN_EMAIL in skipped

    _start(page, url, flow, 500)
    page.get_by_role("heading", name="waiting").wait_for(timeout=60_000)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel run").click()
    page.get_by_role("heading", name="cancelled").wait_for(timeout=60_000)
    assert page.get_by_role("button", name="Cancel run").count() == 0
    _shot(page, "run-cancelled")

    page.goto(f"{url}/workflows/{flow.id}/runs")
    runs = page.get_by_test_id("wf-run")
    runs.nth(2).wait_for()
    assert runs.count() == 3
    page.get_by_role("form", name="Filter runs").get_by_label("Status").select_option("cancelled")
    expect(runs).to_have_count(1)
    assert "cancelled" in runs.first.inner_text()
    _shot(page, "runs")


def _audit(page: Any, url: str, flow: Flow) -> None:
    page.goto(f"{url}/workflows/{flow.id}/audit")
    assert "Chain intact" in page.get_by_test_id("audit-verify").inner_text()
    entries = page.get_by_test_id("audit-entry")
    entries.first.wait_for()
    assert entries.filter(has_text="instance_cancelled").count() == 1
    filters = page.get_by_role("form", name="Filter the audit log")
    filters.get_by_label("Event type").select_option("activated")
    expect(entries).to_have_count(2)
    assert all("activated" in entries.nth(i).inner_text() for i in range(2))
    entries.first.get_by_role("button", name="Details").click()
    assert flow.v2 in page.get_by_test_id("audit-details").inner_text()
    _shot(page, "audit")
    with page.expect_download() as info:
        filters.get_by_role("link", name="Export CSV").click()
    body = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 2
    assert {row["event_type"] for row in rows} == {"activated"}


def test_admin_versions_simulates_runs_and_audits(
    console: Console, browser: Any, flow: Flow
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors = page_errors(page)
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    _versions(page, console.url, flow)
    _simulate(page, console.url, flow)
    _runs(page, console.url, flow)
    _audit(page, console.url, flow)
    context.close()
    assert errors == []


APPROVAL = {
    "nodes": [
        _node("start", "start", 0, {}),
        _node(
            "ok",
            "approval",
            100,
            {"title": "Refund over limit", "message": "Refund {{ input.amount }} EUR?"},
        ),
        _node("yes", "set", 200, _set("decision", "refunded")),
        _node("no", "set", 200, _set("decision", "refused")),
        _node("end", "end", 300, {"output": {"decision": "{{ vars.decision }}"}}),
    ],
    "edges": [
        {"id": "a", "source": "start", "target": "ok"},
        {"id": "b", "source": "ok", "target": "yes", "sourceHandle": "approved"},
        {"id": "c", "source": "ok", "target": "no", "sourceHandle": "rejected"},
        {"id": "d", "source": "yes", "target": "end"},
        {"id": "e", "source": "no", "target": "end"},
    ],
    "triggers": [{"type": "manual"}],
}


def test_admin_approves_a_waiting_run(console: Console, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    api = Api(context, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    run = api.run("Refunds", APPROVAL, {"amount": 80})
    page = context.new_page()
    errors = page_errors(page)
    page.goto(f"{console.url}/workflow-runs/{run}")
    panel = page.get_by_role("region", name="Approval at ok")
    panel.wait_for(timeout=60_000)
    assert "Refund over limit" in panel.inner_text()
    assert "Refund 80 EUR?" in panel.inner_text()
    panel.get_by_label("Comment").fill("within policy")
    panel.get_by_role("button", name="Approve").click()
    page.get_by_role("heading", name="completed").wait_for(timeout=60_000)
    assert '"refunded"' in page.get_by_role("region", name="Output").inner_text()
    page.get_by_test_id("gantt-bar").nth(1).click()
    assert "approved" in page.get_by_role("region", name="Step details").inner_text()
    _shot(page, "approval")
    context.close()
    assert errors == []


DIVIDE = {
    "nodes": [
        _node("start", "start", 0, {}),
        _node(
            "calc",
            "set",
            100,
            {"assignments": [{"name": "share", "mode": "expression", "value": "100 / input.d"}]},
        ),
        _node("end", "end", 200, {"output": {"share": "{{ vars.share }}"}}),
    ],
    "edges": [
        {"id": "a", "source": "start", "target": "calc"},
        {"id": "b", "source": "calc", "target": "end"},
    ],
    "triggers": [{"type": "manual"}],
}


def test_operator_retries_then_skips_a_failed_node(console: Console, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    api = Api(context, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    run = api.run("Shares", DIVIDE, {"d": 0})
    page = context.new_page()
    errors = page_errors(page)
    page.goto(f"{console.url}/workflow-runs/{run}")
    page.get_by_role("heading", name="failed").wait_for(timeout=60_000)
    bars = page.get_by_test_id("gantt-bar")
    bars.nth(1).click()
    assert "division by zero" in page.get_by_role("region", name="Step details").inner_text()
    before = bars.count()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Retry from this node").click()
    # The retry can finish before the page shows it pending: wait for its step instead.
    expect(bars).to_have_count(before + 1, timeout=60_000)
    page.get_by_role("heading", name="failed").wait_for()
    bars.last.click()
    skip = page.get_by_role("form", name="Skip node")
    skip.get_by_label("Reason").fill("no share for zero")
    skip.get_by_role("button", name="Skip node").click()
    page.get_by_role("heading", name="completed").wait_for(timeout=60_000)
    skipped = bars.filter(has=page.locator(".wf-bar-skipped"))
    skipped.click()
    assert "no share for zero" in page.get_by_role("region", name="Step details").inner_text()
    _shot(page, "skipped")
    context.close()
    assert errors == []


def test_viewer_reads_without_write_controls(console: Console, browser: Any, flow: Flow) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, console.url, *VIEWER)
    page.goto(f"{console.url}/workflows/{flow.id}/versions")
    page.get_by_test_id("wf-version").first.wait_for()
    page.get_by_test_id("wf-node-added").wait_for()
    assert page.get_by_role("button", name="Activate").count() == 0
    assert page.get_by_role("button", name="Restore").count() == 0
    page.goto(f"{console.url}/workflows/{flow.id}/runs")
    page.get_by_test_id("wf-run").first.wait_for()
    assert page.get_by_role("form", name="Start a run").count() == 0
    page.get_by_test_id("wf-run").first.get_by_role("link").click()
    page.get_by_role("region", name="Timeline").wait_for()
    page.get_by_test_id("gantt-bar").first.click()
    page.get_by_role("region", name="Step details").wait_for()
    assert page.get_by_role("button", name="Cancel run").count() == 0
    assert page.get_by_role("region", name="Step actions").count() == 0
    page.goto(f"{console.url}/workflows/{flow.id}/audit")
    page.get_by_test_id("audit-entry").first.wait_for()
    page.goto(f"{console.url}/workflows/{flow.id}/simulate")
    page.get_by_role("form", name="Simulation input").wait_for()
    _shot(page, "viewer")
    context.close()
    assert errors == []
