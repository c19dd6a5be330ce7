"""The console's e2e helpers: page errors, a member's login, an API client as the demo admin."""

from __future__ import annotations

import re
from typing import Any

import httpx

from frontdesk.demo import ADMIN_EMAIL, ADMIN_PASSWORD


def page_errors(page: Any, expected: re.Pattern[str] | None = None) -> list[str]:
    """Collect the page's uncaught errors and console errors (except ``expected`` ones)."""
    errors: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error" and not (expected and expected.search(message.text)):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def login(page: Any, url: str, email: str, password: str) -> None:
    """Log in to the demo tenant's console."""
    page.goto(f"{url}/login")
    page.get_by_label("Tenant").fill("demo")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Inbox").wait_for()


def api_client(url: str) -> httpx.Client:
    """An API client logged in as the demo admin (session cookie and CSRF header)."""
    client = httpx.Client(base_url=f"{url}/api/v1")
    r = client.post(
        "/auth/login", json={"tenant": "demo", "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client
