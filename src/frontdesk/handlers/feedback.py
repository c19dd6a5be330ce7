"""Feedback (PRODUCT.md R3): ratings and reactions become CSAT scores, kept and reported.

It volunteers for an emoji reaction and for a message that is only a rating ("4/5", "⭐⭐⭐⭐",
"👍"). A routing rule (or a workflow) can also ask for a rating: with ``params.ask`` it asks
"How would you rate…" and reads the next message as the answer, words included ("the agent
was great" scores from its sentiment).
"""

from __future__ import annotations

from frontdesk.feedback import service
from frontdesk.feedback.models import Feedback
from frontdesk.feedback.rating import Rating, emoji_rating, explicit_rating, from_sentiment
from frontdesk.handlers.base import Member, Reply, Turn

NAME = "feedback"
ASK = "How would you rate the help you got today, from 1 (poor) to 5 (excellent)?"
THANKS = "Thank you for your feedback!"
NEUTRAL = 0.05
"""Words scoring closer to 0 than this say nothing about satisfaction."""
SORRY = "Thank you for telling us. We're sorry it wasn't better; we'll use this to improve."


def wants(turn: Turn) -> bool:
    """A reaction, or a message that is nothing but a rating."""
    if turn.kind == "reaction":
        return True
    return turn.kind == "text" and explicit_rating(turn.text) is not None


async def prepare(turn: Turn) -> bool:
    """Inside an asked-for rating, a question or a neutral remark is no rating: answer it."""
    flow = turn.context.flow
    if flow is None or flow.handler != NAME or turn.kind != "text":
        return True
    if explicit_rating(turn.text) is not None:
        return True
    sentiment = ((turn.analysis or {}).get("sentiment") or {}).get("score") or 0.0
    if turn.text.rstrip().endswith("?") or abs(float(sentiment)) < NEUTRAL:
        turn.context.end_flow()
        return False
    return True


def _rating(turn: Turn) -> Rating | None:
    if turn.kind == "reaction":
        return emoji_rating(_reaction(turn))
    found = explicit_rating(turn.text)
    if found is not None or not turn.text.strip():
        return found
    sentiment = ((turn.analysis or {}).get("sentiment") or {}).get("score")
    if turn.context.flow is None or sentiment is None:
        return None
    return Rating(from_sentiment(float(sentiment)), "text")


def _reaction(turn: Turn) -> str:
    message = turn.message
    reaction = (message.content if message is not None else {}).get("reaction") or {}
    return str(reaction.get("emoji") or "") if isinstance(reaction, dict) else str(reaction)


async def handle(turn: Turn) -> Reply | None:
    """Record the rating; ask for one when a rule said so and none was given."""
    assert turn.conversation is not None and turn.message is not None
    asking = bool(turn.params.get("ask")) and turn.context.flow is None
    rating = None if asking else _rating(turn)
    if rating is None:
        if turn.kind == "reaction":
            return Reply("", NAME, {"rating": None})  # a reaction that rates nothing
        turn.context.start_flow(NAME)
        return Reply(str(turn.params.get("text") or ASK), NAME, {"asked": True})
    turn.context.end_flow()
    sentiment = ((turn.analysis or {}).get("sentiment") or {}).get("score")
    source = "reaction" if turn.kind == "reaction" else rating.source
    await service.record(
        turn.session,
        Feedback(
            tenant_id=turn.tenant_id,
            conversation_id=turn.conversation.id,
            message_id=turn.message.id,
            channel=turn.channel_type,
            score=rating.score,
            sentiment=sentiment,
            source=source,
            comment=turn.text[:2000] if source == "text" else "",
        ),
    )
    meta = {"rating": rating.score, "source": source}
    if source == "reaction":
        return Reply("", NAME, meta)  # a reaction is acknowledged by being kept, not answered
    return Reply(THANKS if rating.score >= 3 else SORRY, NAME, meta)


MEMBER = Member(NAME, handle, prepare, wants, description="ratings and reactions → CSAT")
