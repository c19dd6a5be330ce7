"""Escalation signals (PRODUCT.md R2): an explicit request for a human, a souring conversation."""

from __future__ import annotations

import re

from frontdesk.conversations.context import ConversationContext

_HUMAN = re.compile(
    r"\b(?:(?:talk|speak|chat|connect\s+me)\s+(?:to|with)\s+(?:a\s+|an\s+|some\s*one|somebody|your\s+)?"
    r"(?:human|person|agent|operator|representative|rep|staff|someone|somebody|manager|real)"
    r"|real\s+(?:person|human|agent)|human\s+(?:agent|being|please)|live\s+(?:agent|person|chat)"
    r"|customer\s+service\s+(?:agent|rep)|(?:get|give)\s+me\s+(?:a\s+)?(?:human|person|agent)"
    r"|agent\s+please|operator\s+please|not\s+a\s+(?:bot|robot)"
    r"|(?:need|want)\s+(?:a|an)\s+(?:human|person|agent|real\s+person)\b"
    r"|mit\s+einem\s+(?:menschen|mitarbeiter|berater)|echten?\s+menschen"
    r"|parler\s+(?:à|a)\s+(?:un|une)\s+(?:humain|conseill[eè]re?|agent|personne)"
    r"|hablar\s+con\s+(?:un|una)\s+(?:humano|persona|agente|asesora?)"
    r"|parlare\s+con\s+(?:un|una)\s+(?:operatore|persona|umano))",
    re.IGNORECASE,
)
_BARE = re.compile(r"^\W*(?:human|agent|operator|representative|mensch|humain|humano)\W*$", re.I)


def asks_for_human(text: str) -> bool:
    """Whether the customer explicitly asks to talk to a person."""
    return bool(_HUMAN.search(text) or _BARE.match(text))


def souring(context: ConversationContext, threshold: float) -> bool:
    """The last messages read negative on the whole, the latest included."""
    scores = context.sentiments
    if len(scores) < 2 or scores[-1] >= 0:
        return False
    trend = context.sentiment_trend
    return trend is not None and trend <= threshold
