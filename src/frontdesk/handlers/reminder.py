"""Reminders in the conversation: "remind me tomorrow at 9am to call the bank".

The handler volunteers for reminder requests, and for "cancel my reminder" or "snooze 10
minutes" when the conversation has a reminder to act on. ``prepare`` (read phase) reads the
time and the text with dateparser in the tenant's time zone and finds the reminders meant;
``handle`` (write phase) schedules, cancels or snoozes them. A request without an understood
time (or text) starts a ``reminder`` flow that asks for it; the customer can say cancel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from frontdesk.core.clock import utcnow
from frontdesk.core.errors import Conflict, ValidationFailed
from frontdesk.handlers.base import Member, Reply, Turn
from frontdesk.reminders import parse, service
from frontdesk.reminders.models import Reminder

NAME = "reminder"
MAX_ASKS = 3
"""Questions asked for one reminder before the set-up gives up."""
SNOOZE_WINDOW = timedelta(hours=24)
"""A sent reminder can be snoozed from the conversation this long after it went out."""

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "confirm": "OK, I'll remind you on {when} to {text}.",
        "confirm_plain": "OK, I'll remind you on {when}: {text}.",
        "ask_when": "When should I remind you?",
        "ask_what": "What should I remind you of?",
        "past": "That time has already passed.",
        "too_far": "I can only set reminders up to a year ahead.",
        "gave_up": "Sorry, I couldn't understand when, so I didn't set a reminder. "
        "You can ask again any time, e.g. “remind me tomorrow at 9am to call the bank”.",
        "dropped": "OK, no reminder.",
        "cancelled": "OK, I cancelled your reminder “{text}” ({when}).",
        "cancelled_all": "OK, I cancelled your {count} reminders.",
        "snoozed": "OK, I'll remind you again on {when}.",
    },
    "de": {
        "confirm_plain": "OK, ich erinnere dich am {when}: {text}.",
        "ask_when": "Wann soll ich dich erinnern?",
        "ask_what": "Woran soll ich dich erinnern?",
        "past": "Dieser Zeitpunkt ist schon vorbei.",
        "too_far": "Ich kann höchstens ein Jahr im Voraus erinnern.",
        "gave_up": "Entschuldigung, ich habe die Zeit nicht verstanden und keine Erinnerung "
        "gesetzt.",
        "dropped": "OK, keine Erinnerung.",
        "cancelled": "OK, ich habe deine Erinnerung „{text}“ ({when}) gelöscht.",
        "cancelled_all": "OK, ich habe deine {count} Erinnerungen gelöscht.",
        "snoozed": "OK, ich erinnere dich noch einmal am {when}.",
    },
    "fr": {
        "confirm_plain": "D'accord, je vous le rappellerai le {when} : {text}.",
        "ask_when": "Quand dois-je vous le rappeler ?",
        "ask_what": "De quoi dois-je vous rappeler ?",
        "past": "Ce moment est déjà passé.",
        "too_far": "Je ne peux programmer un rappel qu'un an à l'avance au plus.",
        "gave_up": "Désolé, je n'ai pas compris quand, je n'ai donc pas créé de rappel.",
        "dropped": "D'accord, pas de rappel.",
        "cancelled": "D'accord, j'ai annulé votre rappel « {text} » ({when}).",
        "cancelled_all": "D'accord, j'ai annulé vos {count} rappels.",
        "snoozed": "D'accord, je vous le rappellerai de nouveau le {when}.",
    },
    "es": {
        "confirm_plain": "De acuerdo, te lo recordaré el {when}: {text}.",
        "ask_when": "¿Cuándo debo recordártelo?",
        "ask_what": "¿Qué debo recordarte?",
        "past": "Ese momento ya pasó.",
        "too_far": "Solo puedo programar recordatorios hasta un año antes.",
        "gave_up": "Lo siento, no entendí cuándo, así que no creé ningún recordatorio.",
        "dropped": "De acuerdo, sin recordatorio.",
        "cancelled": "De acuerdo, cancelé tu recordatorio «{text}» ({when}).",
        "cancelled_all": "De acuerdo, cancelé tus {count} recordatorios.",
        "snoozed": "De acuerdo, te lo recordaré de nuevo el {when}.",
    },
}
DATE_FORMATS = {"de": "%d.%m.%Y um %H:%M", "fr": "%d/%m/%Y à %H:%M", "es": "%d/%m/%Y a las %H:%M"}


@dataclass(slots=True)
class Plan:
    """What ``prepare`` read and ``handle`` will do."""

    action: str
    """``create``, ``cancel``, ``snooze`` or ``drop`` (the customer gave up the set-up)."""
    language: str
    timezone: str
    text: str = ""
    due_at: datetime | None = None
    asks: int = 0
    reminder_ids: list[str] = field(default_factory=list)
    minutes: int = parse.DEFAULT_SNOOZE_MINUTES


def wants(turn: Turn) -> bool:
    """Volunteer for "remind me …", "cancel my reminder" and "snooze …" messages."""
    return bool(turn.text) and parse.kind(turn.text) is not None


async def prepare(turn: Turn) -> bool:
    """Read the request (time, text, the reminders meant); False when there is nothing to do."""
    flow = turn.context.flow
    if flow is not None and flow.handler == NAME:
        turn.prepared[NAME] = _answer(turn, flow.state)
        return True
    action = parse.kind(turn.text) or "create"  # a routing rule may send any text here
    if action == "create":
        turn.prepared[NAME] = _request(turn)
        return True
    if turn.conversation is None:
        return False
    plan = Plan(action, _language(turn), turn.prefs.timezone)
    if action == "cancel":
        plan.reminder_ids = await _to_cancel(turn)
    else:
        plan.reminder_ids = await _to_snooze(turn)
        plan.minutes = parse.snooze_minutes(turn.text)
    if not plan.reminder_ids:
        return False  # nothing to cancel or snooze here: the answer chain takes the message
    turn.prepared[NAME] = plan
    return True


async def handle(turn: Turn) -> Reply | None:
    """Schedule, cancel or snooze; or ask for what is missing."""
    plan: Plan | None = turn.prepared.get(NAME)
    if plan is None:
        return None
    if plan.action == "drop":
        turn.context.end_flow()
        return _reply(plan, "dropped")
    if plan.action == "cancel":
        return await _cancel(turn, plan)
    if plan.action == "snooze":
        return await _snooze(turn, plan)
    return await _create(turn, plan)


def _language(turn: Turn) -> str:
    language = turn.text_language
    return language if language in PHRASES else "en"


def _found_date(turn: Turn) -> dict[str, Any] | None:
    """The first date the understanding pass found in the message."""
    return next((e for e in turn.entities if e.get("type") == "datetime"), None)


def _request(turn: Turn) -> Plan:
    timezone = turn.prefs.timezone
    language = _language(turn)
    read = parse.request(turn.text, timezone, utcnow(), language, _found_date(turn))
    language = read.language if read.language in PHRASES else language
    return Plan("create", language, timezone, read.text, read.due_at)


def _answer(turn: Turn, state: dict[str, Any]) -> Plan:
    """The customer's answer to the flow's question, merged with what the flow knew."""
    language = str(state.get("language") or "en")
    timezone = str(state.get("timezone") or turn.prefs.timezone)
    plan = Plan("create", language, timezone, str(state.get("text") or ""))
    plan.asks = int(state.get("asks") or 0)
    known = state.get("due_at")
    plan.due_at = datetime.fromisoformat(known) if known else None
    if parse.is_cancel_word(turn.text):
        plan.action = "drop"
    elif state.get("asked") == "what":
        plan.text = parse.what(turn.text)
    else:
        read = parse.request(turn.text, timezone, utcnow(), language)
        plan.due_at = read.due_at
        plan.text = plan.text or read.text
    return plan


async def _to_cancel(turn: Turn) -> list[str]:
    """The reminder meant: the next one due, or all of them for "reminders" / "all"."""
    assert turn.conversation is not None
    rows = await service.scheduled_in(turn.session, turn.tenant_id, turn.conversation.id)
    words = turn.text.lower()
    every = any(w in words for w in ("all", "alle", "tous", "toutes", "todos", "reminders"))
    return [r.id for r in (rows if every else rows[:1])]


async def _to_snooze(turn: Turn) -> list[str]:
    """The reminder just sent (within a day), else the next one due."""
    assert turn.conversation is not None
    conversation_id = turn.conversation.id
    sent = await service.last_sent_in(
        turn.session, turn.tenant_id, conversation_id, utcnow() - SNOOZE_WINDOW
    )
    if sent is not None:
        return [sent.id]
    rows = await service.scheduled_in(turn.session, turn.tenant_id, conversation_id)
    return [r.id for r in rows[:1]]


async def _create(turn: Turn, plan: Plan) -> Reply:
    assert turn.conversation is not None
    due_at, now = plan.due_at, utcnow()
    if due_at is None:
        return _ask(turn, plan, "when")
    if due_at <= now or due_at > now + service.MAX_AHEAD:
        plan.due_at = None
        return _ask(turn, plan, "when", "past" if due_at <= now else "too_far")
    if not plan.text:
        return _ask(turn, plan, "what")
    reminder = await service.create(
        turn.session,
        turn.runtime.queue,
        turn.conversation,
        text=plan.text[: service.MAX_TEXT],
        due_at=due_at,
        timezone=plan.timezone,
        created_by=service.CUSTOMER,
        now=now,
    )
    turn.context.end_flow()
    key = "confirm" if "confirm" in PHRASES[plan.language] else "confirm_plain"
    return _reply(plan, key, reminder)


def _ask(turn: Turn, plan: Plan, asked: str, problem: str | None = None) -> Reply:
    """Ask for the time or the text, keeping the flow; give up after a few tries."""
    if plan.asks >= MAX_ASKS:
        turn.context.end_flow()
        return _reply(plan, "gave_up")
    turn.context.start_flow(
        NAME,
        {
            "asked": asked,
            "asks": plan.asks + 1,
            "text": plan.text,
            "due_at": plan.due_at.isoformat() if plan.due_at else None,
            "language": plan.language,
            "timezone": plan.timezone,
        },
    )
    question = _phrase(plan.language, f"ask_{asked}")
    text = f"{_phrase(plan.language, problem)} {question}" if problem else question
    return Reply(text, NAME, {"asked": asked, **({"problem": problem} if problem else {})})


async def _cancel(turn: Turn, plan: Plan) -> Reply | None:
    cancelled = []
    for reminder_id in plan.reminder_ids:
        reminder = await service.get(turn.session, turn.tenant_id, reminder_id, lock=True)
        try:
            cancelled.append(await service.cancel(turn.session, reminder))
        except Conflict:
            continue  # sent or cancelled in the meantime
    if not cancelled:
        return None
    if len(cancelled) > 1:
        count = str(len(cancelled))
        return Reply(
            _phrase(plan.language, "cancelled_all").format(count=count),
            NAME,
            {"reminder_ids": [r.id for r in cancelled], "action": "cancel"},
        )
    return _reply(plan, "cancelled", cancelled[0], action="cancel")


async def _snooze(turn: Turn, plan: Plan) -> Reply | None:
    reminder = await service.get(turn.session, turn.tenant_id, plan.reminder_ids[0], lock=True)
    try:
        await service.snooze(turn.session, turn.runtime.queue, reminder, plan.minutes)
    except (Conflict, ValidationFailed):
        return None
    return _reply(plan, "snoozed", reminder, action="snooze")


def _phrase(language: str, key: str) -> str:
    return PHRASES.get(language, {}).get(key) or PHRASES["en"][key]


def _when(reminder: Reminder, language: str) -> str:
    fmt = DATE_FORMATS.get(language)
    if fmt is None:
        return service.describe(reminder.due_at, reminder.timezone)
    return reminder.due_at.astimezone(service.zone(reminder.timezone)).strftime(fmt)


def _reply(plan: Plan, key: str, reminder: Reminder | None = None, **meta: Any) -> Reply:
    if reminder is None:
        return Reply(_phrase(plan.language, key), NAME, meta)
    text = _phrase(plan.language, key).format(
        when=_when(reminder, plan.language), text=reminder.text
    )
    details = {"reminder_id": reminder.id, "due_at": reminder.due_at.isoformat(), **meta}
    return Reply(text, NAME, details)


MEMBER = Member(
    NAME, handle, prepare, wants, description="set, cancel and snooze reminders in the chat"
)
