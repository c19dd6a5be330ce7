"""The routing page and the inbox's callbacks in Chromium, against a real server."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from frontdesk.demo import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import ARTIFACTS, VIEWER, Console
from tests.e2e.console_helpers import api_client, login, page_errors

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
RULE = "Warranty questions to a person"
WARRANTY = "Is my kettle still under warranty?"


@pytest.fixture
def admin(console: Console) -> Iterator[httpx.Client]:
    """The API as the demo admin (a console session)."""
    client = api_client(console.url)
    try:
        yield client
    finally:
        client.close()


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def _customer_says(url: str, text: str) -> None:
    """A web chat customer writes; returns once the bot has answered."""
    session = httpx.post(f"{url}/api/v1/webchat/demo/sessions").json()
    headers = {"Authorization": f"Bearer {session['token']}"}
    messages = f"{url}/api/v1/webchat/sessions/{session['session_id']}/messages"
    assert httpx.post(messages, headers=headers, json={"text": text}).status_code == 202
    deadline = time.monotonic() + 10
    while len(httpx.get(messages, headers=headers).json()) < 2:
        assert time.monotonic() < deadline, "the bot did not answer"
        time.sleep(0.2)  # under the web chat's rate limit


def _open_routing(page: Any) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Routing").click()
    page.get_by_role("heading", name="Routing").wait_for()


def _try(page: Any, text: str) -> Any:
    region = page.get_by_role("region", name="Try a message")
    region.get_by_label("Message to try").fill(text)
    region.get_by_role("button", name="Try").click()
    return region


def _create_rule(page: Any) -> None:
    page.get_by_role("button", name="New rule").click()
    form = page.get_by_role("form", name="Add rule")
    form.get_by_label("Name", exact=True).fill(RULE)
    form.get_by_label("Priority", exact=False).fill("10")
    form.get_by_label("Handler").select_option("handoff")
    # The API refuses an empty group; its problem detail is shown.
    form.get_by_role("button", name="Add rule").click()
    expect(form.get_by_role("alert")).to_contain_text("has no conditions")
    form.get_by_role("button", name="+ Rule").click()
    condition = form.get_by_role("group", name="Rule text")
    condition.get_by_label("Operator").select_option("contains")
    condition.get_by_label("Value").fill("warranty")
    params = form.get_by_label("Parameters", exact=False)
    params.fill('{"reason": "warranty"')
    form.get_by_role("button", name="Add rule").click()
    expect(form.get_by_role("alert")).to_contain_text("not valid JSON")
    params.fill('{"reason": "warranty"}')
    _shot(page, "routing-form")
    form.get_by_role("button", name="Add rule").click()
    form.wait_for(state="detached")


def test_admin_writes_a_rule_tries_it_and_reads_the_decisions(
    console: Console, browser: Any, admin: httpx.Client
) -> None:
    _customer_says(console.url, "I want to talk to a human about my order")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # The browser logs the refused create's 422 itself.
    errors = page_errors(page, expected=re.compile("status of 422"))
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    _open_routing(page)
    page.get_by_text("No routing rules").wait_for()
    _create_rule(page)

    card = page.get_by_test_id("routing-rule").filter(has_text=RULE)
    expect(card.get_by_test_id("rule-summary")).to_have_text('text contains "warranty"')
    expect(card.get_by_test_id("rule-handler")).to_have_text("→ handoff")
    expect(card).to_contain_text("priority 10")

    region = _try(page, WARRANTY)
    expect(region.get_by_test_id("route-handler")).to_have_text("handoff")
    expect(region.get_by_test_id("route-reason")).to_have_text("rule")
    expect(region.get_by_test_id("route-rule")).to_have_text(RULE)
    _shot(page, "routing")

    card.get_by_role("button", name="Edit").click()
    form = page.get_by_role("form", name="Save")
    expect(form.get_by_role("group", name="Rule text").get_by_label("Value")).to_have_value(
        "warranty"
    )
    form.get_by_label("Priority", exact=False).fill("20")
    form.get_by_role("button", name="Save").click()
    expect(card).to_contain_text("priority 20")

    switch = card.get_by_label(f"Enabled: {RULE}")
    switch.click()
    expect(switch).not_to_be_checked()
    expect(card).to_contain_text("disabled")
    region = _try(page, WARRANTY)
    expect(region.get_by_test_id("route-reason")).not_to_have_text("rule")
    expect(region.get_by_test_id("route-rule")).to_have_text("—")

    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Delete").click()
    page.get_by_text("No routing rules").wait_for()
    assert admin.get("/routing/rules").json() == []
    decisions = admin.get("/routing/decisions").json()

    # The hand-over above is counted and listed, with a link to its conversation.
    analytics = page.get_by_role("region", name="Last 7 days")
    analytics.get_by_test_id("analytics-row").filter(has_text="asked_for_human").wait_for()
    assert int(analytics.get_by_test_id("routing-total").inner_text()) >= 1
    [handed_over] = [d for d in decisions if d["reason"] == "asked_for_human"]
    decision = page.get_by_test_id("decision").filter(has_text="asked_for_human")
    decision.get_by_role("link", name="Open").click()
    page.wait_for_url(f"**/inbox/{handed_over['conversation_id']}")
    page.get_by_test_id("message").get_by_text("talk to a human about my order").wait_for()
    context.close()
    assert errors == []


def test_viewer_reads_rules_without_write_controls(
    console: Console, browser: Any, admin: httpx.Client
) -> None:
    rule = {
        "name": "VIP refunds",
        "priority": 5,
        "handler": "handoff",
        "conditions": {
            "logical": "AND",
            "conditions": [
                {"field": "contact.vip", "operator": "equals", "value": True},
                {"field": "intent", "operator": "in", "value": ["refund"]},
            ],
        },
    }
    created = admin.post("/routing/rules", json=rule)
    assert created.status_code == 201, created.text
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = page_errors(page)
    login(page, console.url, *VIEWER)
    _open_routing(page)
    card = page.get_by_test_id("routing-rule").filter(has_text="VIP refunds")
    expect(card.get_by_test_id("rule-summary")).to_have_text(
        'contact.vip equals true AND intent is one of "refund"'
    )
    expect(card.get_by_label("Enabled: VIP refunds")).to_be_disabled()
    for name in ("New rule", "Edit", "Delete"):
        assert page.get_by_role("button", name=name).count() == 0
    region = _try(page, WARRANTY)
    expect(region.get_by_test_id("route-reason")).not_to_have_text("")
    _shot(page, "routing-viewer")
    context.close()
    assert admin.delete(f"/routing/rules/{created.json()['id']}").status_code == 204
    assert errors == []


def test_away_from_the_inbox_then_a_queued_callback_is_marked_done(
    console: Console, browser: Any, admin: httpx.Client
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = page_errors(page)
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("link", name="Inbox").click()
    switch = page.get_by_role("switch", name="Available for hand-overs")
    expect(switch).to_be_checked()
    try:
        # Away (the demo's admin is its only agent): a hand-over queues a callback.
        switch.uncheck()
        page.get_by_text("Away: customers who ask for a person get a callback").wait_for()
        page.reload()
        expect(page.get_by_role("switch", name="Available for hand-overs")).not_to_be_checked()
        assert admin.get("/auth/me").json()["member"]["available"] is False
        _customer_says(console.url, "I want to talk to a human, please call me back")
    finally:
        admin.put("/members/me/availability", json={"available": True})
    [callback] = admin.get("/callbacks", params={"status": "pending"}).json()

    page.reload()
    expect(page.get_by_role("switch", name="Available for hand-overs")).to_be_checked()
    callbacks = page.get_by_role("region", name="Callbacks")
    item = callbacks.get_by_test_id("callback").filter(
        has=page.get_by_role("link", name=f"#{callback['contact_id'][-6:]}")
    )
    expect(item).to_contain_text(callback["reason"])
    _shot(page, "inbox-callbacks")
    item.get_by_role("button", name="Done").click()
    callbacks.get_by_text("No customer is waiting for a callback.").wait_for()
    [done] = admin.get("/callbacks", params={"status": "done"}).json()
    assert done["id"] == callback["id"]
    assert done["done_by"] == admin.get("/auth/me").json()["member"]["id"]
    context.close()
    assert errors == []
