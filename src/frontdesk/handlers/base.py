"""The handler plugin family: what a handler sees (:class:`Turn`), what it gives (:class:`Reply`).

A handler answers one inbound message in two phases. ``prepare`` runs before the job's write
transaction (so slow work — a knowledge search, an LLM call — never holds the database's write
lock) and may put what it found in ``turn.prepared``; it returns False when the handler cannot
answer this message, and the router's next choice is tried. ``handle`` runs inside the write
transaction: it records what the answer changes and returns the reply, or None when it has no
answer after all (the pipeline then counts a failure and falls back).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from frontdesk.contacts.models import Contact
    from frontdesk.conversations.context import ConversationContext, Flow
    from frontdesk.conversations.models import Conversation, Message
    from frontdesk.runtime import Runtime
    from frontdesk.tenants.settings import TenantPreferences


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to send back, and what the pipeline should record about it."""

    text: str
    handler: str
    meta: dict[str, Any] = field(default_factory=dict)
    language: str | None = None
    """The ISO 639-1 code ``text`` is in, when it is not the tenant's working language."""


@dataclass(slots=True)
class Turn:
    """One inbound message as handlers see it.

    ``conversation`` and ``message`` are None during ``prepare`` for a conversation's first
    message (nothing is written yet); ``handle`` always has both. ``context`` is the
    conversation's state; handlers change it in place and the pipeline saves it with the reply.
    """

    runtime: Runtime
    session: AsyncSession
    tenant_id: str
    channel_type: str
    text: str
    kind: str
    analysis: dict[str, Any] | None
    prefs: TenantPreferences
    context: ConversationContext
    conversation: Conversation | None = None
    message: Message | None = None
    contact: Contact | None = None
    """Loaded when the tenant has routing rules (they may read it) and for a new conversation."""
    params: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    """Why the router chose the handler: ``rule``, ``flow``, ``detected``, ``default``,
    ``fallback`` (an earlier choice could not answer), an escalation reason…"""
    prepared: dict[str, Any] = field(default_factory=dict)
    tried: list[str] = field(default_factory=list)
    """The handlers whose ``prepare`` ran for this turn, in order."""
    notes: dict[str, Any] = field(default_factory=dict)
    """Kept on the inbound message beside its analysis: the text read from its files, the
    translation the handlers worked from (``text`` is then that translation)."""

    @property
    def intent(self) -> str | None:
        """The predicted intent's name, unless the message is out of scope."""
        intent = (self.analysis or {}).get("intent") or {}
        return None if intent.get("out_of_scope") else intent.get("name")

    @property
    def entities(self) -> list[dict[str, Any]]:
        """The entities found in the message."""
        return list((self.analysis or {}).get("entities") or [])

    @property
    def text_language(self) -> str:
        """The language ``text`` is in: the tenant's for a translated message.

        A handler that writes its reply in this language has it translated back into the
        customer's by the pipeline.
        """
        if "translation" in self.notes:
            return self.prefs.language
        return str((self.analysis or {}).get("language") or self.prefs.language)


Prepare = Callable[[Turn], Awaitable[bool]]
Handle = Callable[[Turn], Awaitable[Reply | None]]
Wants = Callable[[Turn], bool]
Settle = Callable[[Turn, str], None]
FlowEnded = Callable[[Turn, "Flow"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Member:
    """One handler of the registry.

    ``wants`` makes the handler volunteer for a message when no routing rule chose one (a
    reminder request, an emoji rating, a greeting); without it the handler runs only when a
    rule, an active flow or a fallback names it.
    """

    name: str
    handle: Handle
    prepare: Prepare | None = None
    wants: Wants | None = None
    description: str = ""
    settle: Settle | None = None
    """Called in the write phase with the handler that answered, when this one prepared but
    did not answer (the FAQ logs the question it could not answer)."""
    flow_ended: FlowEnded | None = None
    """Told (in the write phase) when another handler ended this handler's flow: a hand-over
    in the middle of an assessment, say."""
