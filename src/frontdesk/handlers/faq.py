"""FAQ auto-answer: reply with the best entry when its score clears the tenant's threshold."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, update

from frontdesk.handlers.base import Member, Reply, Turn
from frontdesk.knowledge.faq_index import FaqMatch
from frontdesk.knowledge.models import FaqEntry
from frontdesk.knowledge.service import log_query

_entries = cast(Table, FaqEntry.__table__)
# A Core statement, built once: nothing of the entry is loaded, so the ORM has nothing to sync.
_HIT = (
    update(_entries)
    .where(_entries.c.id == bindparam("entry_id"))
    .values(hit_count=_entries.c.hit_count + 1)
)


async def prepare(turn: Turn) -> bool:
    """Match the message against the tenant's FAQ (read phase)."""
    threshold = turn.prefs.faq_threshold
    match = await turn.runtime.faq.match(turn.session, turn.tenant_id, turn.text, threshold)
    turn.prepared["faq"] = match
    return match is not None and match.score >= threshold


async def handle(turn: Turn) -> Reply | None:
    """The matched entry's answer; the query is logged either way."""
    match: FaqMatch | None = turn.prepared.get("faq")
    reply = None
    if match is not None and match.score >= turn.prefs.faq_threshold:
        await turn.session.execute(_HIT, {"entry_id": match.entry_id})
        reply = Reply(
            match.answer,
            "faq",
            {
                "faq_entry_id": match.entry_id,
                "score": round(match.score, 1),
                "matched": match.matched,
            },
        )
    log_query(turn.session, turn.tenant_id, turn.text, match, answered=reply is not None)
    return reply


def settle(turn: Turn, answered_by: str) -> None:
    """Another handler answered (or nobody did): the FAQ logs the question it lacked."""
    match: FaqMatch | None = turn.prepared.get("faq")
    log_query(turn.session, turn.tenant_id, turn.text, match, answered=False)


MEMBER = Member(
    "faq", handle, prepare, description="the tenant's FAQ, above its threshold", settle=settle
)
