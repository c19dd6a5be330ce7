"""Issue 9's acceptance, end to end in Chromium: build on an empty canvas, simulate, version, diff,
activate, then a real web chat message runs the workflow and its timeline shows every step."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from frontdesk.demo import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import ARTIFACTS, Console
from tests.e2e.console_helpers import login, page_errors
from tests.e2e.workflow_canvas import add_trigger, build, nested_rules, node, select

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
REPLY = "We got your refund request: {{ trigger.text }}"
CUSTOMER_TEXT = "Hello, I would like a refund for order 4417"


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"workflow-journey-{name}.png"), full_page=True)


def _save_version(page: Any, notes: str, number: int) -> None:
    page.get_by_label("Version notes").fill(notes)
    page.get_by_role("button", name="Save version").click()
    page.get_by_text(f"Version {number} saved.").wait_for()


def _simulate(page: Any) -> None:
    page.get_by_role("button", name="Simulate").click()
    drawer = page.get_by_role("complementary", name="Simulator")
    form = drawer.get_by_role("form", name="Simulation input")
    form.get_by_label("Trigger payload (JSON, optional)").fill(
        '{"text": "I want a refund", "channel": "webchat", "conversation_id": "c-1"}'
    )
    form.get_by_role("button", name="Run simulation").click()
    trace = drawer.get_by_role("region", name="Trace")
    path = trace.get_by_test_id("sim-path")
    path.wait_for()
    assert path.inner_text() == "Path: start_1 → condition_1 → send_message_1 → end_1"
    trace.get_by_role("button", name="Next").click()
    assert trace.get_by_test_id("sim-current-node").inner_text() == "condition_1"
    assert trace.get_by_test_id("sim-handle").inner_text() == "true"
    assert "refund" in trace.get_by_test_id("sim-explanation").inner_text()
    node(page, "condition_1").and_(page.locator(".wf-current")).wait_for()  # lit on the canvas
    _shot(page, "simulate")
    drawer.get_by_role("button", name="Close").click()


def _diff_and_activate(page: Any, url: str, workflow_id: str) -> None:
    page.goto(f"{url}/workflows/{workflow_id}/versions")
    rows = page.get_by_role("region", name="Version history").get_by_test_id("wf-version")
    rows.nth(1).wait_for()
    compare = page.get_by_role("region", name="Compare")
    compare.get_by_label("From").select_option(label="Version 1")
    compare.get_by_label("To").select_option(label="Version 2")
    modified = compare.get_by_test_id("wf-node-modified").filter(has_text="send_message_1")
    modified.wait_for()
    assert "Thanks! " in modified.get_by_test_id("wf-param-change").inner_text()
    _shot(page, "diff")
    page.once("dialog", lambda dialog: dialog.accept())
    rows.filter(has_text="friendlier reply").get_by_role("button", name="Activate").click()
    page.get_by_text("Version 2 is now active").wait_for()


def _customer_writes(url: str) -> list[dict[str, Any]]:
    """A web chat visitor writes; return the conversation once the workflow has answered."""
    with httpx.Client(base_url=f"{url}/api/v1/webchat") as chat:
        session = chat.post("/demo/sessions").json()
        auth = {"Authorization": f"Bearer {session['token']}"}
        path = f"/sessions/{session['session_id']}/messages"
        assert chat.post(path, json={"text": CUSTOMER_TEXT}, headers=auth).status_code == 202
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            messages: list[dict[str, Any]] = chat.get(path, headers=auth).json()
            if any(m["text"].startswith("Thanks! We got your refund") for m in messages):
                return messages
            time.sleep(0.2)
    raise AssertionError(f"the workflow never answered: {messages}")


def _timeline(page: Any, url: str, workflow_id: str) -> None:
    page.goto(f"{url}/workflows/{workflow_id}/runs")
    runs = page.get_by_test_id("wf-run")
    runs.first.wait_for(timeout=30_000)
    assert runs.count() == 1
    runs.first.get_by_role("link").first.click()
    page.get_by_role("heading", name="completed").wait_for(timeout=30_000)
    bars = page.get_by_test_id("gantt-bar")
    bars.nth(3).wait_for()
    labels = [(bars.nth(i).get_attribute("aria-label") or "").split(" (")[0] for i in range(4)]
    assert [label.split(". ", 1)[0] for label in labels] == ["1", "2", "3", "4"]
    assert "4 step(s), 100% succeeded" in page.get_by_test_id("run-summary").inner_text()
    bars.nth(1).click()
    assert "refund" in page.get_by_role("region", name="Step details").inner_text()
    _shot(page, "timeline")


def test_build_simulate_version_activate_and_run_from_web_chat(
    console: Console, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1800, "height": 1000})
    page = context.new_page()
    errors = page_errors(page)
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"{console.url}/workflows")
    form = page.get_by_role("form", name="New workflow")
    form.get_by_label("Name").fill("Refund journey")
    form.get_by_role("button", name="Create and edit").click()
    page.get_by_role("heading", name="Refund journey").wait_for()
    workflow_id = page.url.rsplit("/", 1)[1]

    build(page)
    add_trigger(page)
    nested_rules(page)
    select(page, "send_message_1").get_by_label("Text").first.fill(REPLY)
    _save_version(page, "first cut", 1)
    _shot(page, "built")
    _simulate(page)
    select(page, "send_message_1").get_by_label("Text").first.fill("Thanks! " + REPLY)
    _save_version(page, "friendlier reply", 2)

    _diff_and_activate(page, console.url, workflow_id)
    conversation = _customer_writes(console.url)
    reply = next(m for m in conversation if m["text"].startswith("Thanks!"))
    assert reply["text"] == f"Thanks! We got your refund request: {CUSTOMER_TEXT}"
    _timeline(page, console.url, workflow_id)
    context.close()
    assert errors == []
