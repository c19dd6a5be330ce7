"""Tasks, satisfaction and assessments in Chromium, on ratings and runs made in the web chat."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from frontdesk.demo import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.e2e.conftest import ARTIFACTS, VIEWER, Console
from tests.e2e.console_helpers import api_client, login, page_errors

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
AGENT = ("agent@demo.example", "agent-pass-1")
# Three of four customers rate 4 or 5: CSAT 75 %, mean (5 + 5 + 4 + 2) / 4 = 4.00.
RATINGS = ["5", "👍", "⭐⭐⭐⭐", "2/5"]
TASK = "Call back about the refund"
HANDED = "Check the refund went through"
REFUSED = re.compile(r"status of 422")  # the browser logs a refused definition's 422 itself
HEALTH_CHECK = {
    "key": "health-check",
    "title": "Health check",
    "intro": "Two quick questions.",
    "questions": [
        {
            "id": "exercise",
            "text": "How often do you exercise?",
            "type": "choice",
            "options": [{"label": "Never", "points": 0}, {"label": "Often", "points": 4}],
        },
        {
            "id": "smoke",
            "text": "Do you smoke?",
            "type": "yes_no",
            "options": [
                {"value": "yes", "label": "Yes", "points": 0},
                {"value": "no", "label": "No", "points": 3},
            ],
        },
    ],
    "bands": [
        {"min": 0, "max": 6, "title": "Needs attention"},
        {"min": 7, "max": 100, "title": "Fine"},
    ],
}


@dataclass
class Chat:
    """A customer's web chat session."""

    url: str
    sid: str
    headers: dict[str, str]

    def say(self, text: str) -> None:
        r = httpx.post(
            f"{self.url}/api/v1/webchat/sessions/{self.sid}/messages",
            headers=self.headers,
            json={"text": text},
        )
        assert r.status_code == 202, r.text

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        """The session's messages once there are ``count`` (polled gently: web chat is limited)."""
        deadline = time.monotonic() + 10
        while True:
            r = httpx.get(
                f"{self.url}/api/v1/webchat/sessions/{self.sid}/messages", headers=self.headers
            )
            messages: list[dict[str, Any]] = r.json()
            if len(messages) >= count or time.monotonic() > deadline:
                return messages
            time.sleep(0.15)


def _chat(url: str) -> Chat:
    r = httpx.post(f"{url}/api/v1/webchat/demo/sessions")
    assert r.status_code == 201, r.text
    body = r.json()
    return Chat(url, body["session_id"], {"Authorization": f"Bearer {body['token']}"})


@dataclass
class World:
    admin: httpx.Client
    agent_id: str
    rated: Chat
    rated_conversation: str


@pytest.fixture(scope="module")
def world(console: Console) -> Iterator[World]:
    """An agent, and customers who rated their conversation in the web chat."""
    admin = api_client(console.url)
    r = admin.post("/members", json={"email": AGENT[0], "name": "Ana Agent", "role": "agent"})
    assert r.status_code == 201, r.text
    agent_id = r.json()["id"]
    r = admin.put(f"/members/{agent_id}/password", json={"password": AGENT[1]})
    assert r.status_code == 200, r.text
    chats = [_chat(console.url) for _ in RATINGS]
    for chat, rating in zip(chats, RATINGS, strict=True):
        chat.say(rating)
    deadline = time.monotonic() + 10
    while len(kept := admin.get("/feedback").json()) < len(RATINGS):
        assert time.monotonic() < deadline, kept
        time.sleep(0.1)
    conversation = chats[0].wait_for(2)[0]["conversation_id"]
    try:
        yield World(admin, agent_id, chats[0], conversation)
    finally:
        admin.close()


def _cells(row: Any) -> list[str]:
    return [cell.strip() for cell in row.get_by_role("cell").all_inner_texts()]


def _shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def test_an_admin_assigns_a_task_and_the_agent_does_it(
    console: Console, browser: Any, world: World
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = page_errors(page)
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("link", name="Tasks").click()
    page.get_by_role("button", name="New task").click()
    form = page.get_by_role("form", name="New task")
    form.get_by_label("Title").fill(TASK)
    form.get_by_label("Description").fill("She asked twice.\nPrefers mornings.")
    form.get_by_label("Assignee").select_option(label=AGENT[0])
    form.get_by_label("Due").fill("2030-01-15T10:00")
    form.get_by_label("Conversation id").fill(world.rated_conversation)
    form.get_by_role("button", name="Create task").click()
    row = page.get_by_test_id("task-row").filter(has_text=TASK)
    row.get_by_text("Open", exact=True).wait_for()
    assert row.get_by_label("Assignee").input_value() == world.agent_id
    link = row.get_by_role("link", name=f"#{world.rated_conversation[-6:]}")
    assert link.get_attribute("href") == f"/inbox/{world.rated_conversation}"
    _shot(page, "tasks-admin")
    page.get_by_label("Whose tasks").select_option("nobody")  # it has an assignee
    page.get_by_text("No tasks match.").wait_for()
    page.get_by_label("Whose tasks").select_option("")
    page.get_by_test_id("task-row").filter(has_text=TASK).wait_for()
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    agent_errors = page_errors(page)
    login(page, console.url, *AGENT)
    page.get_by_role("link", name="Tasks").click()
    # An agent may not read the member records, yet hands work to a colleague by name.
    page.get_by_role("button", name="New task").click()
    form = page.get_by_role("form", name="New task")
    form.get_by_label("Title").fill(HANDED)
    form.get_by_label("Assignee").select_option(label=ADMIN_EMAIL)
    form.get_by_role("button", name="Create task").click()
    handed = page.get_by_test_id("task-row").filter(has_text=HANDED)
    handed.get_by_text("Open", exact=True).wait_for()
    page.get_by_label("Whose tasks").select_option("mine")
    row = page.get_by_test_id("task-row").filter(has_text=TASK)
    row.get_by_role("button", name="Start").click()
    row.get_by_text("In progress", exact=True).wait_for()
    row.get_by_role("button", name="Complete").click()
    done = row.get_by_role("form", name="Complete task")
    done.get_by_label("Note").fill("Called her back; refund sent.")
    done.get_by_role("button", name="Complete task").click()
    row.get_by_text("Completed", exact=True).wait_for()
    assert row.get_by_test_id("task-note").inner_text() == "Note: Called her back; refund sent."
    assert row.get_by_role("button").count() == 0
    page.get_by_label("Status").select_option("completed")
    page.get_by_test_id("task-row").filter(has_text=TASK).wait_for()
    _shot(page, "tasks-agent")
    context.close()

    # The customer of the linked conversation is told on their web chat.
    texts = [m["text"] for m in world.rated.wait_for(3)]
    assert f"Your request “{TASK}” is done." in texts
    task = world.admin.get("/tasks", params={"status": "completed"}).json()[0]
    assert (task["title"], task["data"]["note"]) == (TASK, "Called her back; refund sent.")
    [admin] = [m for m in world.admin.get("/team").json() if m["email"] == ADMIN_EMAIL]
    [handed] = [t for t in world.admin.get("/tasks").json() if t["title"] == HANDED]
    assert handed["assignee_id"] == admin["id"]
    assert errors == agent_errors == []


def test_a_viewer_reads_without_write_controls(
    console: Console, browser: Any, world: World
) -> None:
    r = world.admin.post("/tasks", json={"title": "Check the stock count"})
    assert r.status_code == 201, r.text
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = page_errors(page)
    login(page, console.url, *VIEWER)
    page.get_by_role("link", name="Tasks").click()
    row = page.get_by_test_id("task-row").filter(has_text="Check the stock count")
    row.wait_for()
    assert page.get_by_role("button", name="New task").count() == 0
    assert page.locator("main button, main select[aria-label=Assignee]").count() == 0
    page.get_by_role("link", name="Assessments").click()
    page.get_by_role("heading", name="Assessments").wait_for()
    assert page.get_by_role("button", name="New assessment").count() == 0
    page.get_by_role("link", name="Satisfaction").click()
    page.get_by_test_id("csat").wait_for()
    context.close()
    assert errors == []


def test_satisfaction_shows_the_customers_ratings(
    console: Console, browser: Any, world: World
) -> None:
    summary = world.admin.get("/feedback/summary").json()
    assert (summary["count"], summary["csat"], summary["average"]) == (4, 0.75, 4.0)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = page_errors(page)
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("link", name="Satisfaction").click()
    assert page.get_by_test_id("csat").inner_text() == "75%"
    assert page.get_by_test_id("csat-average").inner_text() == "4.00"
    assert page.get_by_test_id("csat-count").inner_text() == "4"
    bars = page.get_by_test_id("score-bar").all_inner_texts()
    assert [b.split()[-1] for b in bars] == ["50%", "25%", "0%", "25%", "0%"]
    channel = page.get_by_role("table", name="By channel").get_by_role("row").nth(1)
    assert channel.inner_text().split() == ["webchat", "4", "4.00"]
    ratings = page.get_by_test_id("rating-row")
    assert ratings.count() == 4
    link = ratings.filter(has_text=f"#{world.rated_conversation[-6:]}").get_by_role("link")
    assert link.get_attribute("href") == f"/inbox/{world.rated_conversation}"
    page.get_by_label("Period").select_option("7")
    page.get_by_test_id("csat").filter(has_text="75%").wait_for()
    _shot(page, "satisfaction")
    context.close()
    assert errors == []


def test_an_assessment_is_checked_saved_versioned_and_its_results_shown(
    console: Console, browser: Any, world: World
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = page_errors(page, expected=REFUSED)
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.get_by_role("link", name="Assessments").click()
    page.get_by_text("No assessments yet.").wait_for()
    page.get_by_role("button", name="New assessment").click()
    form = page.get_by_role("form", name="Create assessment")
    definition = form.get_by_label("Definition (JSON)")

    definition.fill('{"key": "health-check",')
    form.get_by_role("button", name="Create assessment").click()
    form.get_by_role("alert").get_by_text("Not valid JSON").wait_for()

    wrong = json.loads(json.dumps(HEALTH_CHECK))
    wrong["questions"][0]["type"] = "slider"
    wrong["bands"][1]["min"] = 5
    definition.fill(json.dumps(wrong, indent=2))
    form.get_by_role("button", name="Create assessment").click()
    problems = form.get_by_test_id("problem")
    problems.first.wait_for()
    said = problems.all_inner_texts()
    assert any(p.startswith("questions[0].type: ") for p in said), said
    assert any("overlap" in p for p in said), said
    _shot(page, "assessment-problems")

    definition.fill(json.dumps(HEALTH_CHECK, indent=2))
    form.get_by_role("button", name="Create assessment").click()
    row = page.get_by_test_id("assessment-row").filter(has_text="health-check")
    row.wait_for()
    assert _cells(row)[:4] == ["health-check", "Health check", "1", "yes"]
    detail = page.get_by_role("region", name="Assessment health-check")
    detail.get_by_text("Nobody has taken it yet.").wait_for()

    # A changed title is the next version; both versions are listed.
    detail.get_by_role("button", name="Edit definition").click()
    edit = detail.get_by_role("form", name="Save definition")
    renamed = {**HEALTH_CHECK, "title": "Health check (short)"}
    edit.get_by_label("Definition (JSON)").fill(json.dumps(renamed))
    edit.get_by_role("button", name="Save definition").click()
    row.filter(has_text="Health check (short)").wait_for()
    assert _cells(row)[2] == "2"
    assert detail.get_by_test_id("assessment-version").count() == 2

    # A customer takes it in the web chat; the console shows the result.
    rule = {
        "name": "health check",
        "priority": 5,
        "handler": "assessment",
        "conditions": {
            "conditions": [{"field": "text", "operator": "contains", "value": "health check"}]
        },
        "params": {"assessment": "health-check"},
    }
    r = world.admin.post("/routing/rules", json=rule)
    assert r.status_code == 201, r.text
    chat = _chat(console.url)
    for sent, text in enumerate(("I'd like the health check", "Often", "no"), start=1):
        chat.say(text)
        chat.wait_for(2 * sent)
    page.reload()
    result = page.get_by_test_id("assessment-result")
    result.wait_for()
    cells = _cells(result)
    assert cells[2].startswith("completed") and cells[3:5] == ["7", "Fine"]
    assert cells[5].split("\n") == ["exercise", "Often (4 pts)", "smoke", "no (3 pts)"]
    conversation = chat.wait_for(6)[0]["conversation_id"]
    assert result.get_by_role("link").get_attribute("href") == f"/inbox/{conversation}"
    _shot(page, "assessments")
    context.close()
    assert errors == []


def test_an_admin_gives_a_waiting_conversation_to_an_agent(
    console: Console, browser: Any, world: World
) -> None:
    chat = _chat(console.url)
    chat.say("I want to talk to a human")
    conversation = chat.wait_for(2)[0]["conversation_id"]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = page_errors(page)
    login(page, console.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(f"{console.url}/inbox/{conversation}")
    page.get_by_label("Assign to").select_option(world.agent_id)
    page.get_by_test_id("owner").get_by_text("Ana Agent owns this conversation.").wait_for()
    _shot(page, "inbox-assigned")
    context.close()
    detail = world.admin.get(f"/conversations/{conversation}").json()
    assert (detail["status"], detail["assignee_id"]) == ("human", world.agent_id)
    assert errors == []
