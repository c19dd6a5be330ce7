"""The workflow editor in Chromium: build a workflow on an empty canvas with the mouse, save it.

Trigger (message.received) → condition with a nested group → send message on true → end, the
false branch to another end; an invalid connection refused with its reason; an invalid draft's
422 shown on its nodes; a version; a conflicting save explained; bad rule JSON refused.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from frontdesk.demo import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import ARTIFACTS, VIEWER, Console
from tests.e2e.console_helpers import api_client, login, page_errors
from tests.e2e.workflow_canvas import add_trigger, build, connect, nested_rules, node, select

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
EXPECTED_HTTP_ERRORS = re.compile(r"status of (409|422)")


def _refused_connection(page: Any) -> None:
    connect(page, "condition_1", "true", "end_2")
    notice = page.get_by_test_id("notice")
    notice.wait_for()
    assert "Connection refused" in notice.inner_text()
    assert '"true" output is already connected' in notice.inner_text()
    assert page.locator(".react-flow__edge").count() == 4


def _invalid_version_then_fix(page: Any) -> None:
    page.get_by_label("Version notes").fill("first cut")
    page.get_by_role("button", name="Save version").click()
    problems = page.get_by_role("alert", name="Version problems")
    problems.wait_for()
    assert "send_message_1" in problems.inner_text()
    assert node(page, "send_message_1").locator(".wf-node.has-errors").count() == 1
    page.screenshot(path=str(ARTIFACTS / "workflow-editor-problems.png"), full_page=True)
    panel = select(page, "send_message_1")
    text = panel.get_by_label("Text").first  # the message; a template header has a text too
    text.fill("About your refund: {{ trigger.te")
    suggestions = panel.get_by_role("listbox", name="Variables")
    suggestions.get_by_role("option", name="trigger.text").click()
    assert text.input_value() == "About your refund: {{ trigger.text }}"
    page.get_by_role("button", name="Save version").click()
    page.get_by_text("Version 1 saved.").wait_for()
    assert page.get_by_role("alert", name="Version problems").count() == 0
    node(page, "send_message_1").locator(".wf-node:not(.has-errors)").wait_for()


def _conflict(page: Any, api: httpx.Client, workflow_id: str) -> None:
    panel = select(page, "end_1")
    panel.get_by_label("Label").fill("Done (refund)")
    current = api.get(f"/workflows/{workflow_id}").json()
    moved = {**current["definition"], "variables": {"changed_by": "someone else"}}
    r = api.patch(
        f"/workflows/{workflow_id}",
        json={"definition": moved, "base_revision": current["draft_revision"]},
    )
    assert r.status_code == 200, r.text
    page.keyboard.press("Control+s")
    conflict = page.get_by_role("alert", name="Save conflict")
    conflict.wait_for()
    assert "Someone else changed this draft" in conflict.inner_text()
    assert ADMIN_EMAIL in conflict.inner_text() or "Demo" in conflict.inner_text()
    page.screenshot(path=str(ARTIFACTS / "workflow-editor-conflict.png"), full_page=True)
    conflict.get_by_role("button", name="Overwrite with mine").click()
    page.get_by_text(re.compile(r"Draft saved \(revision \d+\)")).wait_for()
    stored = api.get(f"/workflows/{workflow_id}").json()["definition"]
    labels = {n["id"]: n["data"].get("label") for n in stored["nodes"]}
    assert labels["end_1"] == "Done (refund)"


def _bad_rule_json(page: Any, api: httpx.Client, workflow_id: str) -> None:
    panel = select(page, "condition_1")
    rules = panel.locator(".wf-rules")
    rules.get_by_role("button", name="JSON").click()
    editor = rules.get_by_label("Rules JSON")
    original = editor.input_value()
    assert '"logical": "NOT"' in original
    editor.fill('{"logical": "AND", "conditions": [{"field": "x", "operator": "teleports"}]}')
    rules.get_by_role("button", name="Apply JSON").click()
    alert = rules.get_by_role("alert")
    alert.wait_for()
    assert 'unknown operator "teleports"' in alert.inner_text()
    editor.fill('{"logical": "AND", "conditions": [')
    rules.get_by_role("button", name="Apply JSON").click()
    assert "Not valid JSON" in rules.get_by_role("alert").inner_text()
    page.screenshot(path=str(ARTIFACTS / "workflow-editor-bad-json.png"), full_page=True)
    assert page.get_by_role("button", name="Save draft").is_disabled()
    assert "teleports" not in api.get(f"/workflows/{workflow_id}").text
    rules.get_by_role("button", name="Cancel").click()


def _copy_paste_undo(page: Any) -> None:
    node(page, "send_message_1").locator(".wf-node-label").click()
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    node(page, "send_message_2").wait_for()
    page.get_by_label("Properties of send_message_2").wait_for()
    page.keyboard.press("Control+z")
    node(page, "send_message_2").wait_for(state="detached")
    page.locator(".wf-header .s-waiting").wait_for(state="detached")


def _check_saved(api: httpx.Client, workflow_id: str) -> None:
    definition = api.get(f"/workflows/{workflow_id}").json()["definition"]
    types = {n["id"]: n["type"] for n in definition["nodes"]}
    assert types == {
        "start_1": "start",
        "condition_1": "condition",
        "send_message_1": "send_message",
        "end_1": "end",
        "end_2": "end",
    }
    edges = {(e["source"], e.get("sourceHandle"), e["target"]) for e in definition["edges"]}
    assert edges == {
        ("start_1", None, "condition_1"),
        ("condition_1", "true", "send_message_1"),
        ("condition_1", "false", "end_2"),
        ("send_message_1", None, "end_1"),
    }
    assert definition["triggers"][0]["type"] == "event"
    assert definition["triggers"][0]["event"] == "message.received"
    rules = next(n for n in definition["nodes"] if n["id"] == "condition_1")["data"]["rules"]
    assert rules == {
        "logical": "AND",
        "conditions": [
            {"field": "trigger.text", "operator": "contains", "value": "refund"},
            {
                "logical": "NOT",
                "conditions": [{"field": "trigger.channel", "operator": "equals", "value": "sms"}],
            },
        ],
    }
    versions = api.get(f"/workflows/{workflow_id}/versions").json()
    assert [v["number"] for v in versions] == [1]
    assert versions[0]["notes"] == "first cut"


def test_admin_builds_a_workflow_from_an_empty_canvas(console: Console, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1800, "height": 1000})
    page = context.new_page()
    errors = page_errors(page, EXPECTED_HTTP_ERRORS)
    api = api_client(console.url)
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("link", name="Workflows").click()
    page.get_by_role("heading", name="Templates").wait_for()
    page.get_by_label("Template Refund request with approval").wait_for()
    page.screenshot(path=str(ARTIFACTS / "workflow-list.png"), full_page=True)
    form = page.get_by_role("form", name="New workflow")
    form.get_by_label("Name").fill("Refund router")
    form.get_by_role("button", name="Create and edit").click()
    page.get_by_role("heading", name="Refund router").wait_for()
    workflow_id = page.url.rsplit("/", 1)[1]
    for link in ("Versions", "Runs", "Audit log"):
        assert page.get_by_role("link", name=link).count() == 1

    build(page)
    _refused_connection(page)
    add_trigger(page)
    nested_rules(page)
    _invalid_version_then_fix(page)
    _conflict(page, api, workflow_id)
    _bad_rule_json(page, api, workflow_id)
    _copy_paste_undo(page)
    _check_saved(api, workflow_id)
    page.screenshot(path=str(ARTIFACTS / "workflow-editor.png"), full_page=True)

    panel = select(page, "end_2")
    panel.get_by_label("Label").fill("Not a refund")
    page.get_by_role("link", name="← Workflows").click()
    guard = page.get_by_role("dialog", name="Unsaved changes")
    guard.wait_for()
    guard.get_by_role("button", name="Stay").click()
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    page.keyboard.press("Control+z")
    page.locator(".wf-header .s-waiting").wait_for(state="detached")
    api.close()
    context.close()
    assert errors == []


def test_viewer_sees_the_editor_read_only(console: Console, browser: Any) -> None:
    api = api_client(console.url)
    r = api.post("/workflow-templates/order_status_inquiry/install", json={"bot": "viewer-test"})
    assert r.status_code == 201, r.text
    workflow_id = r.json()["id"]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    login(page, console.url, *VIEWER)
    page.goto(f"{console.url}/workflows/{workflow_id}")
    page.locator(".react-flow__node").first.wait_for()
    assert page.get_by_role("button", name="Save draft").count() == 0
    assert page.get_by_role("button", name="Save version").count() == 0
    assert page.locator(".wf-palette button:not([disabled])").count() == 0
    api.close()
    context.close()
