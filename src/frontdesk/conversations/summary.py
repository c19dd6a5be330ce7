"""Summaries of long conversations (PRODUCT.md U5), for the agent who takes one over.

Written every ``EVERY`` customer messages once a conversation has ``FROM`` of them, in the
pipeline's read phase: by the LLM when the tenant has one, else extractively — the customer's
most telling sentences (TF-IDF weight, so a sentence full of rare words — an order number, a
product — beats "ok thanks"), in the order they were said, with where the conversation stands.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.context import ConversationContext
from frontdesk.conversations.models import Message
from frontdesk.core.errors import FrontdeskError
from frontdesk.core.logging import get_logger
from frontdesk.llm.schemas import CompletionRequest, NotConfigured

if TYPE_CHECKING:
    from frontdesk.runtime import Runtime

FROM = 8
"""Customer messages before a conversation gets a summary."""
EVERY = 8
"""Customer messages between two summaries."""
WINDOW = 60
"""Latest messages read for a summary."""
SENTENCES = 4
"""Sentences an extractive summary keeps."""
SYSTEM = (
    "Summarise this customer-service conversation for the human agent taking it over, in at "
    "most three short sentences: what the customer wants, what they gave (order numbers, "
    "dates), what was tried, and what is still open. Use only what the transcript says."
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"\w\w+")
log = get_logger("frontdesk.conversations.summary")


def due(context: ConversationContext) -> bool:
    """Whether the conversation needs a (new) summary after this message."""
    return context.messages >= FROM and context.messages - context.summarized_count >= EVERY


async def summarize(
    runtime: Runtime,
    session: AsyncSession,
    tenant_id: str,
    conversation_id: str,
    latest: str,
) -> str | None:
    """A summary of the conversation so far (``latest``: the message not yet stored)."""
    rows = list(
        await session.scalars(
            select(Message)
            .where(Message.tenant_id == tenant_id, Message.conversation_id == conversation_id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(WINDOW)
        )
    )
    turns = [(m.sender, m.text) for m in reversed(rows) if m.text.strip()]
    if latest.strip():
        turns.append(("customer", latest))
    if not turns:
        return None
    return await _generated(runtime, tenant_id, turns) or extractive(turns)


async def _generated(runtime: Runtime, tenant_id: str, turns: list[tuple[str, str]]) -> str | None:
    transcript = "\n".join(f"{who}: {text[:500]}" for who, text in turns)
    request = CompletionRequest(
        messages=[{"role": "user", "content": transcript[-20_000:]}],
        system=SYSTEM,
        max_tokens=200,
        temperature=0,
        service="summary",
        preference="cheap",
        cache=False,
    )
    try:
        result = await runtime.llm.complete(tenant_id, request)
    except FrontdeskError as exc:
        log.warning("summary_unavailable", code=exc.code)
        return None
    if isinstance(result, NotConfigured):
        return None
    return result.text.strip() or None


def extractive(turns: list[tuple[str, str]]) -> str:
    """The customer's most telling sentences, in order, and who spoke last."""
    sentences = [
        s.strip()
        for who, text in turns
        if who == "customer"
        for s in _SENTENCE.split(text)
        if len(s.strip().split()) >= 3
    ]
    if not sentences:
        return f"{len(turns)} messages; the customer wrote nothing longer than a few words."
    scores = _weights(sentences)
    keep = sorted(sorted(range(len(sentences)), key=lambda i: -scores[i])[:SENTENCES])
    said = " … ".join(sentences[i][:300] for i in keep)
    last = "the customer" if turns[-1][0] == "customer" else f"the {turns[-1][0]}"
    return f"The customer wrote: {said} ({len(turns)} messages; last from {last}.)"


def _weights(sentences: list[str]) -> list[float]:
    """Each sentence's summed TF-IDF weight (sublinear term frequency, smoothed IDF)."""
    bags = [Counter(_WORD.findall(sentence.lower())) for sentence in sentences]
    documents = Counter(word for bag in bags for word in bag)
    n = len(bags)
    idf = {word: math.log((1 + n) / (1 + df)) + 1 for word, df in documents.items()}
    weights = []
    for bag in bags:
        vector = [(1 + math.log(count)) * idf[word] for word, count in bag.items()]
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        weights.append(sum(vector) / norm)
    return weights
