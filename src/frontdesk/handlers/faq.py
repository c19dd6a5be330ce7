"""FAQ auto-answer: reply with the best entry when its score clears the tenant's threshold."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.handlers.base import Reply
from frontdesk.knowledge.faq_index import FaqMatch
from frontdesk.knowledge.models import FaqEntry


async def answer(session: AsyncSession, match: FaqMatch | None, threshold: float) -> Reply | None:
    """The FAQ reply for a match, or None when it scores below ``threshold``."""
    if match is None or match.score < threshold:
        return None
    entries = cast(Table, FaqEntry.__table__)
    # A Core statement: nothing of the entry is loaded, so the ORM has nothing to synchronise.
    await session.execute(
        update(entries)
        .where(entries.c.id == match.entry_id)
        .values(hit_count=entries.c.hit_count + 1)
    )
    return Reply(
        match.answer,
        "faq",
        {"faq_entry_id": match.entry_id, "score": round(match.score, 1), "matched": match.matched},
    )
