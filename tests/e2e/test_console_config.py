"""The configuration pages in Chromium: connect a channel, store a credential, train intents."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.demo import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import ARTIFACTS, VIEWER, Console
from tests.e2e.console_helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
API_KEY = "sk-live-4f9c2a7e1b3d5f60"
EXAMPLES = {
    "track_order": [
        "Where is my order?",
        "Has my parcel shipped?",
        "Track my package",
        "When will my delivery arrive?",
        "My order hasn't arrived yet",
        "Status of my order please",
    ],
    "refund": [
        "I want my money back",
        "How do I get a refund?",
        "Refund my purchase",
        "Can I return this for a refund?",
        "When will I get my refund?",
        "Please reimburse me",
    ],
}


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def _connect_telegram(page: Any) -> None:
    page.get_by_role("link", name="Channels").click()
    form = page.get_by_role("form", name="Connect a channel")
    form.get_by_label("Type").select_option("telegram")
    form.get_by_label("Name").fill("Support bot")
    form.get_by_label("bot token").fill("123456:TELEGRAM-BOT-TOKEN-VALUE")
    form.get_by_role("button", name="Connect").click()
    created = page.get_by_role("status", name="Channel connected")
    webhook = created.get_by_test_id("copy-Webhook URL").inner_text()
    assert "/webhooks/demo/" in webhook
    secret = created.get_by_test_id("copy-secret token").inner_text()
    assert len(secret) >= 32
    row = page.get_by_test_id("channel-row").filter(has_text="Support bot")
    assert webhook in row.inner_text()
    assert "TELEGRAM-BOT-TOKEN-VALUE" not in page.content()
    _shot(page, "channels")


def _store_api_key(page: Any) -> None:
    page.get_by_role("link", name="Vault").click()
    page.get_by_role("button", name="New credential").click()
    page.get_by_role("button", name="api_key", exact=True).click()
    form = page.get_by_role("form", name="Create credential")
    form.locator('input[name="credential-name"]').fill("Shop API")
    key = form.locator('input[name="key"]')
    assert key.get_attribute("type") == "password"
    key.fill(API_KEY)
    form.get_by_role("button", name="Create credential").click()
    card = page.get_by_test_id("credential").filter(has_text="Shop API")
    masked = card.get_by_test_id("masked").inner_text()
    assert "*****" in masked and API_KEY not in masked
    assert API_KEY not in page.content()
    page.get_by_role("region", name="Audit log").get_by_test_id("audit-row").filter(
        has_text="Shop API"
    ).first.wait_for()
    _shot(page, "vault")


def _connect_telegram_from_the_vault(page: Any) -> None:
    page.get_by_role("link", name="Channels").click()
    form = page.get_by_role("form", name="Connect a channel")
    form.get_by_label("Type").select_option("telegram")
    form.get_by_label("Name").fill("Ops bot")
    form.get_by_label("bot token source").select_option(label="vault: Shop API (api_key)")
    assert form.locator('input[name="bot_token"]').count() == 0
    _shot(page, "channels-vault")
    form.get_by_role("button", name="Connect").click()
    page.get_by_role("status", name="Channel connected").wait_for()
    row = page.get_by_test_id("channel-row").filter(has_text="Ops bot")
    assert row.get_by_test_id("vault-field").inner_text().strip() == "bot token: vault · Shop API"
    assert API_KEY not in page.content()


def _train_and_analyze(page: Any) -> None:
    page.get_by_role("link", name="Intents").click()
    form = page.get_by_role("form", name="Add examples")
    for intent, texts in EXAMPLES.items():
        form.get_by_label("Intent").fill(intent)
        form.get_by_label("Examples (one per line)").fill("\n".join(texts))
        form.get_by_role("button", name="Add examples").click()
        page.get_by_test_id("intent").filter(has_text=intent).wait_for()
    assert "6 examples" in page.get_by_test_id("intent").filter(has_text="refund").inner_text()
    versions = page.get_by_role("region", name="Versions")
    versions.get_by_role("button", name="Train").click()
    version = versions.get_by_test_id("version").first
    version.get_by_test_id("version-status").filter(has_text="ready").wait_for(timeout=60_000)
    version.get_by_role("button", name="Activate").click()
    version.get_by_text("active", exact=True).wait_for()
    version.get_by_role("button", name="Report").click()
    version.get_by_test_id("accuracy").wait_for()
    analyze = page.get_by_role("region", name="Analyze")
    analyze.get_by_label("Text to analyze").fill("I'd like my money back, please")
    analyze.get_by_role("button", name="Analyze").click()
    intent = analyze.get_by_test_id("analysis-intent")
    intent.wait_for()
    assert intent.inner_text().startswith("refund")
    _shot(page, "intents")


def test_admin_configures_channels_vault_and_intents(console: Console, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    _connect_telegram(page)
    _store_api_key(page)
    _connect_telegram_from_the_vault(page)
    _train_and_analyze(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{console.url}/vault")
    page.get_by_test_id("credential").first.wait_for()
    _shot(page, "vault-phone")
    context.close()
    assert errors == []


def test_viewer_does_not_see_the_vault(console: Console, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    login(page, console.url, *VIEWER)
    assert page.get_by_role("link", name="Vault").count() == 0
    assert page.get_by_role("link", name="Intents").count() == 1
    page.goto(f"{console.url}/vault")
    page.get_by_text("No access.").wait_for()
    context.close()
