"""The console in Chromium against a real server: login, live inbox, agent reply, roles, XSS."""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from typing import Any

import httpx
import pytest

from frontdesk.demo import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import ARTIFACTS, VIEWER, Console
from tests.e2e.console_helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> I need a human'
FIGURES = ARTIFACTS / "console-figures.json"


def _customer(url: str, text: str) -> tuple[str, dict[str, str]]:
    r = httpx.post(f"{url}/api/v1/webchat/demo/sessions")
    session = r.json()
    headers = {"Authorization": f"Bearer {session['token']}"}
    r = httpx.post(
        f"{url}/api/v1/webchat/sessions/{session['session_id']}/messages",
        headers=headers,
        json={"text": text},
    )
    assert r.status_code == 202, r.text
    return session["session_id"], headers


def _messages(url: str, sid: str, headers: dict[str, str], count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while True:
        r = httpx.get(f"{url}/api/v1/webchat/sessions/{sid}/messages", headers=headers)
        messages: list[dict[str, Any]] = r.json()
        if len(messages) >= count or time.monotonic() > deadline:
            return messages
        time.sleep(0.05)


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def test_operator_journey(console: Console, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(console.url)
    page.wait_for_url("**/login**")
    _shot(page, "login")
    page.get_by_label("Tenant").fill("demo")
    page.get_by_label("E-mail").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("alert").get_by_text("Wrong tenant, e-mail or password").wait_for()
    errors.clear()  # the browser logs the refused login's 401 itself
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)

    # The inbox shows a new customer conversation live, without a reload.
    page.get_by_role("link", name="Inbox").click()
    page.get_by_text("No conversations match.").wait_for()
    sid, headers = _customer(console.url, XSS)
    page.get_by_test_id("conversation-link").first.wait_for(timeout=10_000)
    page.get_by_test_id("conversation-link").first.click()
    page.get_by_text("I need a human", exact=False).first.wait_for()
    # The payload is shown as text and never runs.
    assert page.get_by_test_id("message").first.inner_text().find("<img src=x") >= 0
    assert page.evaluate("window.__xss") is None
    assert page.locator("main img, main script").count() == 0

    # Claim and reply: the customer reads the reply through the web chat API.
    page.get_by_role("button", name="Claim").click()
    page.get_by_label("Reply").fill("Hello, this is Ana from Demo Shop.")
    page.get_by_role("button", name="Send").click()
    page.get_by_test_id("message").get_by_text("Hello, this is Ana from Demo Shop.").wait_for()
    messages = _messages(console.url, sid, headers, 3)
    assert messages[-1]["sender"] == "agent"
    assert messages[-1]["text"] == "Hello, this is Ana from Demo Shop."
    _shot(page, "inbox")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "inbox-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    # An FAQ question gets the bot's answer without a human.
    sid2, headers2 = _customer(console.url, "When will my order arrive?")
    answer = _messages(console.url, sid2, headers2, 2)[-1]
    assert answer["sender"] == "bot" and "business days" in answer["text"]

    # The dashboard follows new messages live; measure how long it takes.
    page.get_by_role("link", name="Dashboard").click()
    counter = page.get_by_test_id("messages-in")
    counter.wait_for()
    delays = []
    for i in range(5):
        before = int(counter.inner_text())
        started = time.perf_counter()
        _customer(console.url, f"Question number {i} for the team")
        page.wait_for_function(
            "n => Number(document.querySelector('[data-testid=messages-in]').textContent) > n",
            arg=before,
            timeout=10_000,
        )
        delays.append(time.perf_counter() - started)
    _shot(page, "dashboard")
    FIGURES.write_text(
        json.dumps(
            {
                "dashboard_update_delay_s": {
                    "samples": [round(d, 3) for d in delays],
                    "median": round(statistics.median(delays), 3),
                    "max": round(max(delays), 3),
                }
            },
            indent=1,
        )
    )
    assert max(delays) < 5

    for name, ready in (
        ("faq", page.get_by_text("How long does shipping take?")),
        ("channels", page.get_by_role("heading", name="Connect a channel")),
        ("members", page.get_by_role("cell", name=ADMIN_EMAIL)),
        ("settings", page.get_by_label("Fallback text", exact=False)),
    ):
        page.goto(f"{console.url}/{name}")
        ready.wait_for()
        _shot(page, name)
    assert not errors, errors

    # An expired session sends the member back to the login page.
    with sqlite3.connect(console.data_dir / "frontdesk.db") as db:
        db.execute("UPDATE member_sessions SET expires_at = '2000-01-01 00:00:00.000000'")
    page.goto(f"{console.url}/inbox")
    page.wait_for_url("**/login**")
    page.get_by_text("Your session ended").wait_for()
    page.get_by_role("button", name="Log in").wait_for()
    context.close()


def test_viewer_cannot_reach_admin_pages(console: Console, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    login(page, console.url, *VIEWER)
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Members & keys").count() == 0
    assert nav.get_by_role("link", name="Settings").count() == 0
    for path in ("members", "settings"):
        page.goto(f"{console.url}/{path}")
        page.get_by_text("No access.").wait_for()
    _shot(page, "viewer-no-access")
    page.goto(f"{console.url}/inbox")
    page.get_by_role("heading", name="Inbox").wait_for()
    assert page.get_by_role("button", name="Claim").count() == 0
    # The API refuses too, whatever the UI shows.
    status = page.evaluate("fetch('/api/v1/members').then(r => r.status)")
    assert status == 403
    context.close()


def test_admin_sets_tone_and_llm_budget(console: Console, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"{console.url}/settings")
    form = page.get_by_role("form", name="Answers and budget")
    form.get_by_label("Tone of voice", exact=False).fill("Warm, short, no jargon.")
    form.get_by_label("Monthly LLM budget", exact=False).fill("25")
    form.get_by_role("button", name="Save").click()
    form.get_by_text("Saved.").wait_for()
    page.reload()
    budget = page.get_by_role("form", name="Answers and budget").get_by_label(
        "Monthly LLM budget", exact=False
    )
    budget.wait_for()
    assert budget.input_value() == "25"
    _shot(page, "settings-answers")
    context.close()
