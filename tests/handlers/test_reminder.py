"""The reminder handler, through a real web chat conversation and the worker pipeline."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from frontdesk.core.clock import utcnow
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.factories import SHIPPING_ANSWER, open_session, wait_for_messages
from tests.reminders.helpers import job_ids, run_now, say


class Chat:
    """A customer in the web chat: each ``ask`` waits for the bot's answer."""

    def __init__(self, client: httpx.AsyncClient, tenant: TenantCtx) -> None:
        self.client, self.tenant = client, tenant
        self.sid, self.headers, self.count = "", {}, 0

    async def open(self) -> Chat:
        self.sid, self.headers = await open_session(self.client, self.tenant.slug)
        return self

    async def ask(self, text: str) -> dict[str, object]:
        await say(self.client, self.sid, self.headers, text)
        self.count += 2
        messages = await wait_for_messages(self.client, self.sid, self.headers, self.count)
        assert len(messages) == self.count, messages
        return messages[-1]

    async def reminders(self, **params: str) -> list[dict[str, str]]:
        r = await self.client.get("/api/v1/reminders", headers=self.tenant.headers, params=params)
        return list(r.json())


async def test_remind_me_tomorrow_then_the_reminder_arrives(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    chat = await Chat(client, tenant).open()
    reply = await chat.ask("remind me tomorrow at 9am to call the bank")
    tomorrow = (utcnow() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    when = f"{tomorrow:%a} {tomorrow.day} {tomorrow:%b} at 09:00"
    assert reply["text"] == f"OK, I'll remind you on {when} to call the bank."
    assert reply["meta"]["handler"] == "reminder"

    [reminder] = await chat.reminders()
    assert reminder["text"] == "call the bank" and reminder["created_by"] == "customer"
    assert datetime.fromisoformat(reminder["due_at"]) == tomorrow

    [job_id] = await job_ids(runtime, reminder["id"])
    await run_now(runtime, job_id, due=reminder["id"])
    messages = await wait_for_messages(client, chat.sid, chat.headers, 3)
    assert messages[-1]["text"] == "⏰ Reminder: call the bank"
    assert messages[-1]["sender"] == "bot"


async def test_missing_time_is_asked_for_in_a_flow(client: httpx.AsyncClient, tenant: TenantCtx):
    chat = await Chat(client, tenant).open()
    reply = await chat.ask("remind me to call the bank")
    assert reply["text"] == "When should I remind you?"
    reply = await chat.ask("blorp florp zork")
    assert reply["text"] == "When should I remind you?"
    assert await chat.reminders() == []
    reply = await chat.ask("in 2 hours")
    assert str(reply["text"]).startswith("OK, I'll remind you on ")
    assert str(reply["text"]).endswith(" to call the bank.")
    [reminder] = await chat.reminders()
    due = datetime.fromisoformat(reminder["due_at"])
    assert abs(due - (utcnow() + timedelta(hours=2))) < timedelta(minutes=1)

    # The flow is over: the next question goes to the FAQ again.
    reply = await chat.ask("When will my order arrive?")
    assert reply["text"] == SHIPPING_ANSWER


async def test_missing_text_is_asked_for(client: httpx.AsyncClient, tenant: TenantCtx):
    chat = await Chat(client, tenant).open()
    reply = await chat.ask("remind me in 3 hours")
    assert reply["text"] == "What should I remind you of?"
    reply = await chat.ask("to feed the cat")
    assert str(reply["text"]).endswith(" to feed the cat.")
    assert [r["text"] for r in await chat.reminders()] == ["feed the cat"]


async def test_customer_can_give_up_the_set_up(client: httpx.AsyncClient, tenant: TenantCtx):
    chat = await Chat(client, tenant).open()
    await chat.ask("remind me to water the plants")
    reply = await chat.ask("cancel")
    assert reply["text"] == "OK, no reminder."
    assert await chat.reminders() == []
    reply = await chat.ask("What is your return policy?")
    assert reply["meta"]["handler"] == "faq"


async def test_past_time_and_gibberish(client: httpx.AsyncClient, tenant: TenantCtx):
    chat = await Chat(client, tenant).open()
    reply = await chat.ask("remind me yesterday at 9am to call the bank")
    assert reply["text"] == "That time has already passed. When should I remind you?"
    reply = await chat.ask("in 3 years")
    assert reply["text"] == (
        "I can only set reminders up to a year ahead. When should I remind you?"
    )
    reply = await chat.ask("qwertz asdf")
    assert reply["text"] == "When should I remind you?"  # the third and last time
    reply = await chat.ask("qwertz asdf")
    assert str(reply["text"]).startswith("Sorry, I couldn't understand when")
    assert await chat.reminders() == []
    reply = await chat.ask("When will my order arrive?")  # the flow ended
    assert reply["text"] == SHIPPING_ANSWER


async def test_cancel_my_reminder(client: httpx.AsyncClient, tenant: TenantCtx):
    chat = await Chat(client, tenant).open()
    await chat.ask("remind me in 3 hours to pay the rent")
    reply = await chat.ask("please cancel my reminder")
    assert str(reply["text"]).startswith("OK, I cancelled your reminder “pay the rent” (")
    assert [r["status"] for r in await chat.reminders()] == ["cancelled"]

    # Nothing left to cancel: the message is not the reminder handler's.
    reply = await chat.ask("cancel my reminder")
    assert reply["meta"]["handler"] != "reminder"


async def test_snooze_a_sent_reminder(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    chat = await Chat(client, tenant).open()
    await chat.ask("remind me in 1 hour to take the pills")
    [reminder] = await chat.reminders()
    [job_id] = await job_ids(runtime, reminder["id"])
    await run_now(runtime, job_id, due=reminder["id"])
    chat.count += 1
    await wait_for_messages(client, chat.sid, chat.headers, chat.count)

    reply = await chat.ask("snooze 15 minutes")
    assert str(reply["text"]).startswith("OK, I'll remind you again on ")
    [snoozed] = await chat.reminders()
    assert snoozed["status"] == "scheduled" and snoozed["snoozed_count"] == 1
    due = datetime.fromisoformat(snoozed["due_at"])
    assert abs(due - (utcnow() + timedelta(minutes=15))) < timedelta(minutes=1)


async def test_snooze_without_a_reminder_is_not_taken(client: httpx.AsyncClient, tenant: TenantCtx):
    chat = await Chat(client, tenant).open()
    reply = await chat.ask("snooze 10 minutes")
    assert reply["meta"]["handler"] != "reminder"


async def test_german_request_gets_a_german_answer(client: httpx.AsyncClient, tenant: TenantCtx):
    chat = await Chat(client, tenant).open()
    reply = await chat.ask("Erinnere mich morgen um 9 Uhr an den Zahnarzttermin")
    tomorrow = utcnow() + timedelta(days=1)
    assert reply["text"] == (
        f"OK, ich erinnere dich am {tomorrow:%d.%m.%Y} um 09:00: den Zahnarzttermin."
    )
    [reminder] = await chat.reminders()
    assert datetime.fromisoformat(reminder["due_at"]).hour == 9
