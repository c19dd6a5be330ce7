"""What starts and wakes runs: domain events from the outbox, cron schedules, signed webhooks.

Events reach :func:`on_event` at least once; a run started by an event carries the event's id as
its trigger key (unique per workflow), so a redelivery never starts a second run. The same event
also wakes branches parked on it (wait-for-event, wait-for-reply); a duplicate wake finds the
branch no longer waiting and is ignored.

Schedules live in ``workflow_triggers.next_run_at``; a process claims a due one by moving its
``next_run_at`` forward with a compare-and-set, so across processes each tick starts one run.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from frontdesk.core.cache import TTLCache
from frontdesk.core.clock import utcnow
from frontdesk.core.db import Database
from frontdesk.core.errors import Unauthorized
from frontdesk.core.logging import get_logger
from frontdesk.core.outbox import Event
from frontdesk.runtime import Runtime
from frontdesk.workflows import runner
from frontdesk.workflows.models import (
    Workflow,
    WorkflowTrigger,
    WorkflowVersion,
    WorkflowWait,
)
from frontdesk.workflows.rules import RuleGroup, evaluate

log = get_logger("frontdesk.workflows.triggers")

SIGNATURE_HEADER = "X-Frontdesk-Signature"
REPLAY_WINDOW = 300
_WAITS = select(WorkflowWait).where(  # built once: it runs for every event
    WorkflowWait.tenant_id == bindparam("tenant_id"),
    WorkflowWait.key.in_(bindparam("keys", expanding=True)),
    WorkflowWait.created_at <= bindparam("at"),
)


def trigger_names(event: Event) -> list[str]:
    """The trigger event names an outbox event stands for."""
    names = [event.type]
    payload = event.payload
    if event.type == "message.received" and payload.get("intent"):
        names.append("intent.detected")
    if event.type == "conversation.status_changed":
        names.append(
            {"waiting": "conversation.escalated", "closed": "conversation.closed"}.get(
                str(payload.get("status")), "conversation.changed"
            )
        )
    return names


def _filter(when: dict[str, Any] | None) -> RuleGroup | None:
    """The parsed rule group of a trigger or a wait (``None``: every payload matches)."""
    return RuleGroup.model_validate(when) if when else None


def _matches(group: RuleGroup | None, payload: dict[str, Any]) -> bool:
    if group is None:
        return True
    scope = {**payload, "event": payload, "trigger": payload}
    try:
        return evaluate(group, scope).matched
    except Exception:
        log.warning("trigger_filter_failed", exc_info=True)
        return False


@dataclass(frozen=True, slots=True)
class Listening:
    """What a tenant's workflows listen to: event triggers, and event names branches await."""

    triggers: list[tuple[WorkflowTrigger, RuleGroup | None]]
    """Each event trigger with its parsed filter."""
    awaited: frozenset[str]
    """Event names a wait-for-event node of any version waits for; ``reply`` for reply waits."""


def _awaited(definitions: list[dict[str, Any]]) -> frozenset[str]:
    names: set[str] = set()
    for definition in definitions:
        for node in definition.get("nodes", []):
            if node.get("type") == "wait_event":
                names.add(str((node.get("data") or {}).get("event")))
            elif node.get("type") == "wait_reply":
                names.add("reply")
    return frozenset(names)


class TriggerIndex:
    """What each tenant listens to, cached for a few seconds (cleared on version changes here).

    Most events concern no workflow: knowing that without a query keeps the outbox fast.
    """

    def __init__(self, ttl: float) -> None:
        self._cache: TTLCache[str, Listening] = TTLCache(ttl)

    def forget(self, tenant_id: str) -> None:
        """Drop what is cached for ``tenant_id``."""
        self._cache.forget(tenant_id)

    async def of(self, db: Database, tenant_id: str) -> Listening:
        """The tenant's event triggers and awaited event names."""
        return await self._cache.load(tenant_id, lambda: _load_listening(db, tenant_id))


async def _load_listening(db: Database, tenant_id: str) -> Listening:
    async with db.tenant_session(tenant_id) as session:
        triggers = list(
            await session.scalars(
                select(WorkflowTrigger).where(
                    WorkflowTrigger.tenant_id == tenant_id, WorkflowTrigger.type == "event"
                )
            )
        )
        definitions = list(
            await session.scalars(
                select(WorkflowVersion.definition).where(WorkflowVersion.tenant_id == tenant_id)
            )
        )
    filters = []
    for trigger in triggers:
        try:
            filters.append((trigger, _filter(trigger.config.get("when"))))
        except ValueError:  # validated with the version: never expected; never matches
            log.warning("trigger_filter_invalid", trigger_id=trigger.id)
    return Listening(filters, _awaited(definitions))


TRIGGERS = TriggerIndex(5.0)


@dataclass(frozen=True)
class Hook:
    """A workflow that takes webhooks now, and its signing secret."""

    workflow: Workflow  # detached, its draft not loaded: read, never changed
    secret: str


class WebhookIndex:
    """Each workflow's webhook (or that it has none), cached for a few seconds per process.

    A delivery then costs no query before its run starts. Changes made here (activation, traffic
    split, deactivation, a new secret) clear the tenant's entries on commit; another process
    sees them within the TTL, so a rotated secret is still accepted there that long.
    """

    def __init__(self, ttl: float) -> None:
        self._cache: TTLCache[tuple[str, str], Hook | None] = TTLCache(ttl)

    def forget(self, tenant_id: str) -> None:
        """Drop what is cached for ``tenant_id``'s workflows."""
        self._cache.forget_where(lambda key, _: key[0] == tenant_id)

    async def of(self, runtime: Runtime, tenant_id: str, workflow_id: str) -> Hook | None:
        """The workflow's webhook, or None (no such workflow, no secret, no webhook trigger)."""

        async def load() -> Hook | None:
            async with runtime.db.tenant_session(tenant_id) as session:
                return await _load_hook(runtime, session, tenant_id, workflow_id)

        return await self._cache.load((tenant_id, workflow_id), load)


async def _load_hook(
    runtime: Runtime, session: AsyncSession, tenant_id: str, workflow_id: str
) -> Hook | None:
    from frontdesk.workflows.service import webhook_secret

    workflow = await session.scalar(
        select(Workflow)
        .where(Workflow.id == workflow_id, Workflow.tenant_id == tenant_id)
        .options(defer(Workflow.draft, raiseload=True))  # the editor's copy: not needed
    )
    if workflow is None or workflow.active_version_id is None:
        return None
    secret = await webhook_secret(session, runtime.keyring, workflow)
    graph = await runner.GRAPHS.get(session, workflow.active_version_id)
    if secret is None or not any(t.type == "webhook" for t in graph.definition.triggers):
        return None
    return Hook(workflow, secret)


WEBHOOKS = WebhookIndex(5.0)


async def on_event(runtime: Runtime, event: Event) -> None:
    """Start the runs an event triggers and wake the branches waiting for it."""
    if event.tenant_id is None or event.type.startswith("workflow."):
        return
    names = trigger_names(event)
    listening = await TRIGGERS.of(runtime.db, event.tenant_id)
    starts = [
        t for t, group in listening.triggers if t.event in names and _matches(group, event.payload)
    ]
    keys = [f"event:{name}" for name in names if name in listening.awaited]
    conversation = event.payload.get("conversation_id")
    if event.type == "message.received" and conversation and "reply" in listening.awaited:
        keys.append(f"reply:{conversation}")
    if not starts and not keys:
        return
    woken: list[WorkflowWait] = []
    if keys:
        async with runtime.db.tenant_session(event.tenant_id) as session:
            woken = await _matching_waits(session, event, keys)
    if not starts and not woken:
        return  # the usual case: nobody waits on this conversation, and nothing is written
    async with runtime.db.transaction(runtime.db.tenant_session(event.tenant_id)) as session:
        for trigger in starts:
            await _start_from_event(runtime, session, trigger, event)
        for wait in woken:
            await _wake(runtime, session, event, wait)


async def _start_from_event(
    runtime: Runtime, session: AsyncSession, trigger: WorkflowTrigger, event: Event
) -> None:
    key = f"event:{event.id}"
    seen = await runner.started(session, trigger.workflow_id, key)
    workflow = await session.get(Workflow, trigger.workflow_id)
    if seen is not None or workflow is None or workflow.active_version_id is None:
        return
    conversation = event.payload.get("conversation_id")
    await runner.start(
        runtime,
        session,
        workflow,
        trigger={"event": event.type, **event.payload},
        trigger_type="event",
        trigger_key=key,
        entity_type="conversation" if conversation else None,
        entity_id=conversation,
    )


async def _matching_waits(
    session: AsyncSession, event: Event, keys: list[str]
) -> list[WorkflowWait]:
    """The waits on ``keys`` whose filter the event's payload passes.

    A wait hears only what happens after it began: an event published earlier (a message that
    arrived before the run reached ``wait_reply``, its delivery late) is not "the next one".
    """
    params = {"tenant_id": event.tenant_id, "keys": keys, "at": event.created_at}
    waits = await session.scalars(_WAITS, params)
    matching = []
    for wait in waits:
        try:
            group = _filter(wait.data.get("when"))
        except ValueError:
            log.warning("wait_filter_invalid", instance_id=wait.instance_id)
            continue
        if _matches(group, event.payload):
            matching.append(wait)
    return matching


async def _wake(runtime: Runtime, session: AsyncSession, event: Event, wait: WorkflowWait) -> None:
    await runtime.db.begin_write(session)
    await runtime.queue.enqueue(
        session,
        runner.run_job(
            wait.instance_id,
            wait.tenant_id,
            wake={
                "token": wait.token,
                "kind": "event",
                "data": {"event": event.type, **event.payload},
            },
        ),
    )


# -- schedules ---------------------------------------------------------------------------


def next_run(cron: str, timezone: str, after: datetime) -> datetime:
    """The first time after ``after`` that ``cron`` fires in ``timezone`` (returned in UTC)."""
    zone = ZoneInfo(timezone)
    nxt: datetime = croniter(cron, after.astimezone(zone)).get_next(datetime)
    return nxt.astimezone(after.tzinfo)


async def fire_due(runtime: Runtime, limit: int = 100) -> int:
    """Start a run for each schedule that is due; return how many started."""
    now = utcnow()
    started = 0
    async with runtime.db.transaction(runtime.db.system_session()) as session:
        due = list(
            await session.scalars(
                select(WorkflowTrigger)
                .where(WorkflowTrigger.type == "cron", WorkflowTrigger.next_run_at <= now)
                .limit(limit)
            )
        )
        for trigger in due:
            tick = trigger.next_run_at
            assert tick is not None
            config = trigger.config
            following = next_run(config["cron"], config.get("timezone", "UTC"), now)
            await runtime.db.begin_write(session)
            claimed = await session.execute(
                update(WorkflowTrigger)
                .where(WorkflowTrigger.id == trigger.id, WorkflowTrigger.next_run_at == tick)
                .values(next_run_at=following)
                .execution_options(synchronize_session=False)
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                continue  # another process took this tick
            workflow = await session.get(Workflow, trigger.workflow_id)
            if workflow is None or workflow.active_version_id is None:
                continue
            await runner.start(
                runtime,
                session,
                workflow,
                trigger={"schedule": config["cron"], "at": tick.isoformat()},
                trigger_type="cron",
                trigger_key=f"cron:{trigger.id}:{tick.isoformat()}",
            )
            started += 1
    return started


async def run_schedules(runtime: Runtime, stop: asyncio.Event, every: float = 1.0) -> None:
    """Fire due schedules until ``stop`` is set."""
    while not stop.is_set():
        try:
            await fire_due(runtime)
        except Exception:
            log.exception("schedule_failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


# -- webhooks ----------------------------------------------------------------------------


def sign(secret: str, body: bytes, at: int) -> str:
    """The ``X-Frontdesk-Signature`` value for ``body`` sent at unix time ``at``."""
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def verify(secret: str, body: bytes, header: str | None, now: float | None = None) -> None:
    """Check a webhook signature (HMAC-SHA256 over ``t.body``, 5-minute replay window)."""
    if not header:
        raise Unauthorized(f"Missing {SIGNATURE_HEADER} header")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        at = int(parts.get("t", ""))
    except ValueError:
        raise Unauthorized("Malformed signature") from None
    if abs((now or time.time()) - at) > REPLAY_WINDOW:
        raise Unauthorized("Signature timestamp outside the 5-minute window")
    expected = sign(secret, body, at).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        raise Unauthorized("Invalid signature")
