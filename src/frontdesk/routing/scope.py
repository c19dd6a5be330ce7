"""What a routing rule's fields can name: the message, its analysis, the contact, the context."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from frontdesk.handlers.base import Turn
from frontdesk.routing.hours import within_hours


def scope(turn: Turn, now: datetime | None = None) -> dict[str, Any]:
    """What a routing rule's fields can name."""
    analysis = turn.analysis or {}
    intent = analysis.get("intent") or {}
    sentiment = analysis.get("sentiment") or {}
    contact = turn.contact
    context = turn.context
    return {
        "text": turn.text,
        "kind": turn.kind,
        "channel": turn.channel_type,
        "language": analysis.get("language") or turn.prefs.language,
        "intent": turn.intent,
        "intent_confidence": intent.get("confidence"),
        "out_of_scope": bool(intent.get("out_of_scope")),
        "sentiment": {
            "label": sentiment.get("label"),
            "score": sentiment.get("score"),
            "trend": context.sentiment_trend,
        },
        "entities": {str(e.get("type")): e.get("value") for e in turn.entities},
        "contact": {
            "name": contact.name if contact else None,
            "email": contact.email if contact else None,
            "phone": contact.phone if contact else None,
            "language": contact.language if contact else None,
            "vip": bool(contact and contact.vip),
            "attributes": dict(contact.attributes) if contact else {},
        },
        "conversation": {
            "messages": context.messages,
            "failures": context.failures,
            "last_intent": context.last_intent,
            "status": turn.conversation.status if turn.conversation else "bot",
            "entities": dict(context.entities),
        },
        "variables": dict(context.variables),
        "business_hours": within_hours(turn.prefs.business_hours, turn.prefs.timezone, now),
    }
