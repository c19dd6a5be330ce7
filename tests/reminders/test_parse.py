"""Reading reminder requests: the kind of request, the time and the text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frontdesk.reminders import parse

NOW = datetime(2031, 3, 10, 10, 30, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("remind me tomorrow at 9am to call the bank", "create"),
        ("Can you set a reminder for friday", "create"),
        ("erinnere mich morgen an die Wäsche", "create"),
        ("rappelle-moi demain d'appeler", "create"),
        ("recuérdame mañana llamar", "create"),
        ("cancel my reminder", "cancel"),
        ("Erinnerung löschen", "cancel"),
        ("annule le rappel", "cancel"),
        ("cancela el recordatorio", "cancel"),
        ("snooze 10 minutes", "snooze"),
        ("remind me again in an hour", "snooze"),
        ("When will my order arrive?", None),
        ("what is a reminder?", None),
        ("cancel my order", None),
    ],
)
def test_kind(text: str, kind: str | None):
    assert parse.kind(text) == kind


@pytest.mark.parametrize(
    ("text", "timezone", "due", "what"),
    [
        ("remind me tomorrow at 9am to call the bank", "UTC", "2031-03-11T09:00", "call the bank"),
        ("Remind me on 1 December at 14:30 to pay rent", "UTC", "2031-12-01T14:30", "pay rent"),
        ("remind me at 5 to leave", "UTC", "2031-03-11T05:00", "leave"),  # 05:00 passed today
        ("remind me at 11:00 to leave", "UTC", "2031-03-10T11:00", "leave"),
        ("erinnere mich morgen um 9 Uhr an den Arzttermin", "Europe/Berlin",
         "2031-03-11T08:00", "den Arzttermin"),  # CET: UTC+1
        ("rappelle-moi demain à 9h30 d'appeler la banque", "Europe/Paris",
         "2031-03-11T08:30", "appeler la banque"),
        ("remind me in 2 hours about the laundry", "UTC", "2031-03-10T12:30", "the laundry"),
        ("recuérdame mañana a las 9 llamar al banco", "UTC", "2031-03-11T09:00", "llamar al banco"),
    ],
)  # fmt: skip
def test_request(text: str, timezone: str, due: str, what: str):
    read = parse.request(text, timezone, NOW)
    assert read.due_at is not None
    assert read.due_at.strftime("%Y-%m-%dT%H:%M") == due
    assert read.text == what


def test_request_without_a_time():
    read = parse.request("remind me to call the bank", "UTC", NOW)
    assert read.due_at is None and read.text == "call the bank"
    assert parse.when("blorp florp zork", "UTC", NOW) is None


def test_the_understanding_passs_date_is_used_when_it_reads_the_same():
    found = {"type": "datetime", "text": "tomorrow", "value": "2031-03-11T10:30:00+00:00"}
    read = parse.request("remind me tomorrow to water the plants", "UTC", NOW, found=found)
    assert read.due_at == datetime(2031, 3, 11, 10, 30, tzinfo=UTC)
    assert read.text == "water the plants"


def test_long_text_is_cut_and_snooze_minutes():
    assert len(parse.what("x" * 600)) == parse.MAX_TEXT
    assert parse.snooze_minutes("snooze") == 10
    assert parse.snooze_minutes("snooze 25 min") == 25
    assert parse.snooze_minutes("remind me again in 2 hours") == 120
    assert parse.is_cancel_word("never mind") and not parse.is_cancel_word("tomorrow at 9")
