"""The Knowledge page in Chromium: a namespace, a pasted document, the query and answer testers."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.demo import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import ARTIFACTS, VIEWER, Console
from tests.e2e.console_helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
RETURNS = (
    "You can return any item within 30 days of delivery for a full refund. "
    "Print the prepaid return label from your order page, pack the item in its original box "
    "and drop it at any post office. Refunds reach your card within five business days "
    "after the parcel arrives at our warehouse."
)
SHIPPING = "# Shipping\n\nOrders leave our warehouse within two business days.\n"
PARAPHRASE = "How many days do I have to send back something I bought?"


def _create_namespace_and_paste(page: Any) -> None:
    page.get_by_role("link", name="Knowledge").click()
    form = page.get_by_role("form", name="New namespace")
    form.get_by_label("Namespace name").fill("help-center")
    form.get_by_label("Description").fill("Customer help articles")
    form.get_by_role("button", name="Create namespace").click()
    namespaces = page.get_by_role("region", name="Namespaces")
    namespaces.get_by_role("button", name="help-center", pressed=True).wait_for()
    page.get_by_text("No documents in this namespace yet.").wait_for()
    paste = page.get_by_role("form", name="Paste a document")
    paste.get_by_label("Title").fill("Returns policy")
    paste.get_by_label("Text").fill(RETURNS)
    paste.get_by_role("button", name="Add document").click()
    row = page.get_by_test_id("kb-document").filter(has_text="Returns policy")
    row.wait_for(timeout=60_000)
    assert "paste:returns-policy" in row.inner_text()
    assert "indexed" in row.inner_text()


def _upload(page: Any, name: str, mime: str, body: bytes) -> Any:
    form = page.get_by_role("form", name="Upload a file")
    form.get_by_label("File").set_input_files({"name": name, "mimeType": mime, "buffer": body})
    form.get_by_role("button", name="Upload").click()
    return form


def _upload_files(page: Any) -> None:
    form = _upload(page, "shipping.md", "text/markdown", SHIPPING.encode())
    assert form.get_by_role("progressbar", name="Upload progress").count() == 1
    status = form.get_by_test_id("kb-job-status")
    status.filter(has_text="done").wait_for(timeout=60_000)
    assert "1/1 documents" in form.get_by_test_id("kb-job").inner_text()
    page.get_by_test_id("kb-document").filter(has_text="shipping.md").wait_for()
    form = _upload(page, "broken.pdf", "application/pdf", b"%PDF-1.7 this is not a pdf")
    form.get_by_test_id("kb-job-status").filter(has_text="failed").wait_for(timeout=60_000)
    assert "broken.pdf" in form.get_by_test_id("kb-job").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("kb-document").filter(has_text="shipping.md").get_by_role(
        "button", name="Delete"
    ).click()
    page.get_by_test_id("kb-document").filter(has_text="shipping.md").wait_for(state="detached")
    assert page.get_by_test_id("kb-document").count() == 1


def _ask(page: Any) -> None:
    query = page.get_by_role("region", name="Query tester")
    query.get_by_label("Search text").fill(PARAPHRASE)
    query.get_by_role("button", name="Search").click()
    hit = query.get_by_test_id("kb-result").first
    hit.wait_for(timeout=60_000)
    assert "Returns policy" in hit.inner_text()
    assert "30 days" in hit.inner_text()
    assert hit.get_by_test_id("kb-score").inner_text().startswith("score 0.")
    answer = page.get_by_role("region", name="Answer tester")
    answer.get_by_label("Question").fill(PARAPHRASE)
    answer.get_by_role("button", name="Ask").click()
    answer.get_by_test_id("kb-answer").wait_for(timeout=60_000)
    assert answer.get_by_test_id("kb-answer-mode").inner_text() in {"generated", "extractive"}
    assert "30 days" in answer.get_by_test_id("kb-answer-text").inner_text()
    citation = answer.get_by_test_id("kb-citation").first
    assert citation.inner_text().startswith("[1]")
    assert "Returns policy" in citation.inner_text()


def test_admin_builds_and_tests_the_knowledge_base(console: Console, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    _create_namespace_and_paste(page)
    _upload_files(page)
    _ask(page)
    page.screenshot(path=str(ARTIFACTS / "console-knowledge.png"), full_page=True)
    context.close()
    assert errors == []


def test_viewer_reads_but_cannot_write(console: Console, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    login(page, console.url, *VIEWER)
    page.get_by_role("link", name="Knowledge").click()
    page.get_by_role("region", name="Namespaces").wait_for()
    page.get_by_role("region", name="Query tester").wait_for()
    assert page.get_by_role("form", name="New namespace").count() == 0
    assert page.get_by_role("form", name="Paste a document").count() == 0
    assert page.get_by_role("button", name="Delete").count() == 0
    context.close()


def test_unsupported_upload_shows_the_problem(console: Console, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("link", name="Knowledge").click()
    page.get_by_role("button", name="help-center").wait_for()
    form = _upload(page, "tool.exe", "application/octet-stream", b"MZ\x90\x00")
    alert = form.get_by_role("alert")
    alert.wait_for()
    assert "unsupported file type" in alert.inner_text()
    context.close()
