"""The whole journey in Chromium: a customer in the widget, an operator in the console."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.demo import ADMIN_EMAIL, ADMIN_PASSWORD
from frontdesk.settings import Settings
from frontdesk.webui.static import PACKAGED
from tests.e2e.conftest import ARTIFACTS, Console
from tests.e2e.console_helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_customer_in_widget_operator_claims_and_replies(console: Console, browser: Any) -> None:
    if not (Settings().widget_dir / "widget.js").exists() or not PACKAGED.exists():
        pytest.skip("the widget or the console is not built (make setup)")
    from playwright.sync_api import expect

    operator = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    customer = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    errors: list[str] = []
    for page in (operator, customer):
        page.on("pageerror", lambda e: errors.append(str(e)))

    login(operator, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    operator.get_by_role("link", name="Inbox").click()

    # The customer writes in the widget; nothing in the FAQ matches, so the bot hands over.
    customer.goto(f"{console.url}/widget-demo?tenant=demo&title=Demo%20Shop")
    customer.locator(".fd-launcher").click()
    expect(customer.get_by_role("dialog", name="Demo Shop")).to_be_visible()
    box = customer.get_by_role("textbox", name="Message")
    box.fill("My parcel arrived crushed, I want to speak to someone")
    box.press("Enter")
    theirs = customer.locator(".fd-theirs[data-sender] .fd-text")
    expect(theirs.last).to_contain_text("member of our team", timeout=15_000)

    # The operator sees it live, claims the conversation and replies.
    link = operator.get_by_test_id("conversation-link").first  # this server's only conversation
    link.wait_for(timeout=15_000)
    link.click()
    operator.get_by_text("arrived crushed", exact=False).first.wait_for()
    # What the bot understood of the message is shown beside it.
    expect(operator.get_by_test_id("analysis").first).to_contain_text("sentiment")
    operator.get_by_role("button", name="Claim").click()
    operator.get_by_label("Reply").fill("Sorry about that! Ana here, I'm sending a new one today.")
    operator.get_by_role("button", name="Send").click()

    # The reply appears in the customer's widget, live.
    expect(theirs.last).to_have_text(
        "Sorry about that! Ana here, I'm sending a new one today.", timeout=15_000
    )
    customer.screenshot(path=str(ARTIFACTS / "journey-widget.png"))
    operator.screenshot(path=str(ARTIFACTS / "journey-console.png"))
    assert not errors, errors
