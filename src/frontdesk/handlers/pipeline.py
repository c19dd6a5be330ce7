"""The processing of one inbound message: understand it, route it, answer it, record it all.

Two phases. The read phase finds the conversation, analyses the message, routes it and lets the
chosen handlers prepare (searches, LLM calls) without holding the database's write lock. The
write phase, inside the job's transaction, records the inbound message, the handler's answer,
the routing decision, the context and the events: they commit together with the job's
completion, or not at all.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.contacts.service import contact_for_identity
from frontdesk.conversations import language, ownership, summary
from frontdesk.conversations import service as conversations
from frontdesk.conversations.context import ConversationContext, expiry
from frontdesk.conversations.models import Conversation
from frontdesk.core.db import after_commit, write_pending
from frontdesk.core.outbox import publish
from frontdesk.handlers import workflow
from frontdesk.handlers.base import Reply, Turn
from frontdesk.handlers.registry import HANDLERS
from frontdesk.intake.models import RawMessage
from frontdesk.intake.webchat import thread_key
from frontdesk.queue.base import ClaimedJob, PermanentJobError
from frontdesk.routing import service as routing
from frontdesk.routing.router import Decision, fallback_reason, route
from frontdesk.runtime import Runtime
from frontdesk.tenants.settings import TenantPreferences, tenant_preferences
from frontdesk.understanding.service import detects_language, understand
from frontdesk.understanding.transforms import message_text, translate

UNSUPPORTED_TEXT = "Sorry, I can't read this kind of message yet. Could you write it as text?"
MAX_EXTRACTED = 10_000
"""Characters of a message's files' text the pipeline works from."""
CONTENT_FIELDS = ("kind", "media", "attachments", "location", "contacts", "choice_id", "reaction")


async def process_message(runtime: Runtime, session: AsyncSession, job: ClaimedJob) -> None:
    """Handle a ``message.process`` job."""
    # Every lookup that may need its own connection happens before the job's session first
    # reads: while it holds a connection, waiting for another could starve the pool, and
    # inside the write transaction a second connection could wait on the lock this one holds.
    tenant = await runtime.tenants.by_id(str(job.tenant_id))
    prefs = tenant_preferences(tenant)
    detect = await detects_language(runtime, str(job.tenant_id), prefs)
    raw = await session.get(RawMessage, job.payload.get("raw_message_id"))
    if raw is None or raw.tenant_id != job.tenant_id:
        raise PermanentJobError("raw message not found")
    channel_type = await runtime.channel_type(session, raw.tenant_id, raw.channel_id)
    payload = raw.payload
    thread_id = str(payload["thread_id"])
    turn = await _read(runtime, session, raw, channel_type, prefs, detect)
    decision, chain = await _choose(turn)

    await runtime.db.begin_write(session, inline=True)  # what follows is short writes
    with session.no_autoflush:  # one write at the end (write_pending), not a flush per query
        conversation = turn.conversation
        if conversation is None:
            contact = await contact_for_identity(
                session, raw.tenant_id, channel_type, str(payload["sender_id"])
            )
            conversation = await conversations.start_conversation(
                session, raw.tenant_id, raw.channel_id, thread_id, contact.id
            )
            turn.conversation, turn.contact = conversation, contact
        else:
            await ownership.reload_owner(session, conversation)
        await _record_and_reply(runtime, session, raw, turn, decision, chain, job.ordering_key)
    await write_pending(session)
    key = thread_key(raw.channel_id, thread_id)
    after_commit(session, lambda: runtime.hub.notify(key))
    after_commit(session, runtime.outbox.wake.set)


async def _read(
    runtime: Runtime,
    session: AsyncSession,
    raw: RawMessage,
    channel_type: str,
    prefs: TenantPreferences,
    detect: bool,
) -> Turn:
    """The turn as the read phase sees it: conversation, context, text and its analysis."""
    payload = raw.payload
    text = str(payload.get("text", ""))
    kind = str(payload.get("kind", "text"))
    conversation = await conversations.find_thread(
        session, raw.tenant_id, raw.channel_id, str(payload["thread_id"])
    )
    context = (
        ConversationContext.load(conversation.context, conversation.context_expires_at)
        if conversation is not None
        else ConversationContext()
    )
    notes: dict[str, Any] = {}
    if not text.strip() and kind not in ("text", "unknown", "reaction"):
        extracted = await message_text(session, raw.tenant_id, raw.id)
        if extracted:  # a photo of a receipt, a voice note: their words are the message
            text = notes["extracted_text"] = extracted[:MAX_EXTRACTED]
    analysis = None
    if kind not in ("unknown", "reaction"):
        analysis = await _understand(runtime, session, raw.tenant_id, prefs, text, detect)
        text, analysis = await _translated(
            runtime, session, raw.tenant_id, prefs, text, analysis, notes, context.language
        )
    context.observe(text, analysis)
    if conversation is not None and summary.due(context):
        context.summary = await summary.summarize(
            runtime, session, raw.tenant_id, conversation.id, text
        )
        context.summarized_count = context.messages
    return Turn(
        runtime,
        session,
        raw.tenant_id,
        channel_type,
        text,
        kind,
        analysis,
        prefs,
        context,
        conversation=conversation,
        notes=notes,
    )


async def _translated(
    runtime: Runtime,
    session: AsyncSession,
    tenant_id: str,
    prefs: TenantPreferences,
    text: str,
    analysis: dict[str, Any] | None,
    notes: dict[str, Any],
    known: str | None,
) -> tuple[str, dict[str, Any] | None]:
    """The text in the tenant's working language (with a model configured), and its analysis.

    A language detected with confidence is translated; so is a message too short to tell ("ok",
    "Ja") in a conversation ``known`` to be in another language. The original stays the
    message's text, and the analysis is of the translation (in the customer's language).
    """
    if analysis is None:
        return text, analysis
    source = known if analysis["language_assumed"] else str(analysis["language"])
    if source is None or source == prefs.language:
        return text, analysis
    translated = await translate(runtime, tenant_id, text, source, prefs.language)
    if translated is None:
        return text, analysis
    notes["translation"] = {"text": translated, "from": source, "to": prefs.language}
    again = await _understand(runtime, session, tenant_id, prefs, translated, False)
    if again is None:
        return text, analysis
    return translated, {
        **again,
        "language": source,
        "language_assumed": analysis["language_assumed"],
    }


async def _understand(
    runtime: Runtime,
    session: AsyncSession,
    tenant_id: str,
    prefs: TenantPreferences,
    text: str,
    detect: bool,
) -> dict[str, Any] | None:
    """The analysis kept on the message."""
    if not text.strip():
        return None
    result = await understand(runtime, session, tenant_id, prefs, text, detect_language=detect)
    return result.as_dict()


async def _choose(turn: Turn) -> tuple[Decision | None, tuple[str, ...]]:
    """Route the turn and prepare its handlers: the chain from the first that can answer."""
    conversation = turn.conversation
    if turn.kind == "unknown" or (
        conversation is not None and conversation.status == ownership.HUMAN
    ):
        return None, ()
    rules = await turn.runtime.routing.rules(turn.session, turn.tenant_id)
    if rules and conversation is not None:  # rules may read the contact
        turn.contact = await turn.session.get(Contact, conversation.contact_id)
    decision = route(turn, rules, workflow_waiting=await workflow.awaits_reply(turn))
    if decision is None:
        return None, ()
    chain = decision.chain
    for index, name in enumerate(chain):
        member = HANDLERS[name]
        _aim(turn, decision, name)
        if member.prepare is not None:
            turn.tried.append(name)
        if member.prepare is None or await member.prepare(turn):
            return decision, chain[index:]
    return decision, chain[-1:]


def _aim(turn: Turn, decision: Decision, name: str) -> None:
    """Point the turn at handler ``name``: its parameters, and why it was chosen."""
    if name == decision.handler:
        turn.params, turn.reason = dict(decision.params), decision.reason
    else:
        reason = fallback_reason(turn)
        turn.params, turn.reason = ({"reason": reason} if name == "handoff" else {}), "fallback"


async def _record_and_reply(
    runtime: Runtime,
    session: AsyncSession,
    raw: RawMessage,
    turn: Turn,
    decision: Decision | None,
    chain: tuple[str, ...],
    ordering_key: str | None,
) -> None:
    conversation = turn.conversation
    assert conversation is not None
    analysis, text = turn.analysis, str(raw.payload.get("text", ""))  # the customer's own words
    content = {k: raw.payload[k] for k in CONTENT_FIELDS if raw.payload.get(k)}
    meta = {**({"analysis": analysis} if analysis else {}), **turn.notes}
    inbound = conversations.add_message(
        session,
        conversation,
        message_id=raw.id,
        direction="in",
        sender="customer",
        text=text,
        meta=meta or None,
        content=content if content != {"kind": "text"} else None,  # more than plain text
    )
    turn.message = inbound
    await publish(
        session,
        raw.tenant_id,
        "message.received",
        {
            "message_id": inbound.id,
            "conversation_id": conversation.id,
            "channel": turn.channel_type,
            "text": (text or turn.text)[:2000],
            "intent": ((analysis or {}).get("intent") or {}).get("name"),
            "sentiment": (analysis or {}).get("sentiment", {}).get("label"),
        },
    )
    if conversation.status == ownership.CLOSED:
        await ownership.set_status(session, conversation, ownership.BOT, None)
    reply: Reply | None = None
    if conversation.status == ownership.HUMAN:
        pass  # a member owns the conversation: the message waits for them, the bot is silent
    elif turn.kind == "unknown":
        reply = Reply(UNSUPPORTED_TEXT, "unsupported", {"kind": turn.kind})
    elif decision is not None:
        reply = await _answer(turn, decision, chain)
    if reply is not None and reply.text:  # the pipeline wakes the web chat's stream itself
        await language.send(
            runtime,
            session,
            conversation,
            turn.channel_type,
            reply.text,
            handler=reply.handler,
            meta=reply.meta,
            reply_to_id=inbound.id,
            translate_to=_translate_back(turn, reply),
            ordering_key=ordering_key,
            notify=False,
        )
    _save_context(conversation, turn)


def _translate_back(turn: Turn, reply: Reply) -> tuple[str, str] | None:
    """(the tenant's language, the customer's) when the reply must be translated back."""
    translation = turn.notes.get("translation")
    if translation is None or translation["from"] == reply.language:
        return None
    return str(translation["to"]), str(translation["from"])


async def _answer(turn: Turn, decision: Decision, chain: tuple[str, ...]) -> Reply | None:
    """The first answer down the chain, with the decision recorded and failures counted."""
    assert turn.conversation is not None and turn.message is not None
    reply, handler = None, chain[-1] if chain else decision.handler
    flow = turn.context.flow
    for name in chain:
        _aim(turn, decision, name)
        reply = await HANDLERS[name].handle(turn)
        if reply is not None:
            handler = name
            break
    for name in turn.tried:
        settle = HANDLERS[name].settle
        if settle is not None and name != handler:
            settle(turn, handler)
    if flow is not None and turn.context.flow is not flow and handler != flow.handler:
        owner = HANDLERS.get(flow.handler)
        if owner is not None and owner.flow_ended is not None:
            await owner.flow_ended(turn, flow)
    answered = reply is not None and handler == decision.handler
    turn.context.failures = 0 if answered or handler != "handoff" else turn.context.failures + 1
    turn.context.last_handler = handler
    routing.record(
        turn.session,
        turn.tenant_id,
        turn.conversation.id,
        turn.message.id,
        decision,
        handler,
        answered,
    )
    if reply is not None:
        route_meta = {"reason": decision.reason if handler == decision.handler else "fallback"}
        if decision.rule_id:
            route_meta["rule_id"] = decision.rule_id
        reply = replace(reply, meta={**reply.meta, "route": route_meta})
    return reply


def _save_context(conversation: Conversation, turn: Turn) -> None:
    conversation.context = turn.context.dump()
    conversation.context_expires_at = expiry(turn.prefs.context_ttl_hours)
