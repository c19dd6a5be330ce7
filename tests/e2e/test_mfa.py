"""MFA in Chromium: enrol in the console, log in with a code, decide an MFA-required approval."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Console
from tests.e2e.console_helpers import api_client, login, page_errors

EMAIL, PASSWORD = "mfa-admin@demo.example", "mfa-admin-pass-1"
# The login answers 401 mfa_required before the code; a password-only login's decision is 403.
EXPECTED_HTTP_ERRORS = re.compile(r"status of (401|403)")
CRITICAL = {
    "nodes": [
        {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {}},
        {
            "id": "ok",
            "type": "approval",
            "position": {"x": 0, "y": 100},
            "data": {
                "title": "Wire transfer",
                "message": "Send {{ input.amount }} EUR?",
                "allowed_roles": ["admin"],
                "require_mfa": True,
            },
        },
        {"id": "yes", "type": "end", "position": {"x": 0, "y": 200}, "data": {"output": "sent"}},
        {"id": "no", "type": "end", "position": {"x": 200, "y": 200}, "data": {"output": "no"}},
    ],
    "edges": [
        {"id": "a", "source": "start", "target": "ok"},
        {"id": "b", "source": "ok", "target": "yes", "sourceHandle": "approved"},
        {"id": "c", "source": "ok", "target": "no", "sourceHandle": "rejected"},
    ],
    "triggers": [{"type": "manual"}],
}


def _setup(url: str) -> str:
    """An admin member with a password, and a run waiting for an MFA-required approval."""
    api = api_client(url)
    try:
        member = api.post("/members", json={"email": EMAIL, "role": "admin"}).json()
        assert api.put(f"/members/{member['id']}/password", json={"password": PASSWORD}).is_success
        r = api.post("/workflows", json={"name": "Wires", "definition": CRITICAL})
        wid = r.json()["id"]
        version = api.post(f"/workflows/{wid}/versions", json={"notes": "v1"}).json()["id"]
        assert api.post(f"/workflows/{wid}/activate", json={"version_id": version}).is_success
        return str(
            api.post(f"/workflows/{wid}/runs", json={"input": {"amount": 9000}}).json()["id"]
        )
    finally:
        api.close()


def _approve(page: Any, url: str, run: str) -> Any:
    page.goto(f"{url}/workflow-runs/{run}")
    panel = page.get_by_role("region", name="Approval at ok")
    panel.wait_for(timeout=60_000)
    panel.get_by_role("button", name="Approve").click()
    return panel


def test_enrol_log_in_with_a_code_and_decide_an_mfa_approval(
    console: Console, browser: Any
) -> None:
    run = _setup(console.url)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = page_errors(page, EXPECTED_HTTP_ERRORS)
    login(page, console.url, EMAIL, PASSWORD)

    panel = _approve(page, console.url, run)  # a password-only login may not decide it
    expect(panel).to_contain_text("log in again with your authenticator code")
    expect(page.get_by_role("alert")).to_contain_text("second factor", timeout=30_000)

    page.get_by_role("link", name="Account security").click()
    page.get_by_role("button", name="Set up authenticator app").click()
    expect(page.get_by_alt_text("QR code for your authenticator app")).to_be_visible()
    secret = page.get_by_test_id("mfa-secret").inner_text().strip()
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()
    codes = page.get_by_role("region", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    expect(page.get_by_role("status").filter(has_text="is on")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "mfa-enrolled.png"))

    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Tenant").fill("demo")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    code_field = page.get_by_label("Authentication code")
    code_field.wait_for()
    # The next step's code: the confirming one was used already (replay), drift allows +1.
    code_field.fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Inbox").wait_for()

    _approve(page, console.url, run)
    page.get_by_role("heading", name="completed").wait_for(timeout=60_000)

    page.goto(f"{console.url}/members")
    row = page.get_by_role("row").filter(has_text=EMAIL)
    expect(row.get_by_role("cell", name="on", exact=True)).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Reset MFA").click()
    expect(row.get_by_role("cell", name="off", exact=True)).to_be_visible()
    context.close()
    assert errors == []
