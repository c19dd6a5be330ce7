"""FAQ auto-answer: reply with the best entry when its score clears the tenant's threshold."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.handlers.base import Reply
from frontdesk.knowledge.faq_index import FaqIndex
from frontdesk.knowledge.models import FaqEntry


async def answer(
    session: AsyncSession, index: FaqIndex, tenant_id: str, text: str, threshold: float
) -> Reply | None:
    """The FAQ reply for ``text``, or None when no entry scores at least ``threshold``."""
    match = await index.match(session, tenant_id, text)
    if match is None or match.score < threshold:
        return None
    await session.execute(
        update(FaqEntry)
        .where(FaqEntry.id == match.entry_id)
        .values(hit_count=FaqEntry.hit_count + 1)
    )
    return Reply(
        match.answer,
        "faq",
        {"faq_entry_id": match.entry_id, "score": round(match.score, 1), "matched": match.matched},
    )
