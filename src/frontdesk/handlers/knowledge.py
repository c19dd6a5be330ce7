"""Knowledge QnA (PRODUCT.md R3): answer from the knowledge base, citing the sources.

The search and the LLM call run in ``prepare`` (outside the write transaction). Below the
relevance floor the knowledge base says it does not know, and the next handler (a human) takes
the message. Earlier turns go with the question, so "does it have a pool?" is searched about
the hotel the customer named before; that entity is remembered on the context.
"""

from __future__ import annotations

from frontdesk.handlers.base import Member, Reply, Turn
from frontdesk.knowledge import answers
from frontdesk.knowledge.schemas import QueryRequest
from frontdesk.llm.generator import TenantGenerator

MAX_QUERY = 4096
SUBJECT = "subject"
"""The context entity naming what the conversation is about (a hotel, a product…)."""


async def prepare(turn: Turn) -> bool:
    """Search and, with a model configured, generate a grounded answer."""
    text = turn.text.strip()
    if not text:
        return False
    request = QueryRequest(
        query=text[:MAX_QUERY],
        namespace=str(turn.params.get("namespace") or "default"),
        context=turn.context.recent[:-1],
    )
    generator = TenantGenerator(turn.runtime.llm, turn.tenant_id, service="qna")
    found = await answers.answer(turn.session, turn.runtime.kb, turn.tenant_id, request, generator)
    if found.mode == "dont_know":
        return False
    turn.prepared["knowledge"] = found
    return True


async def handle(turn: Turn) -> Reply | None:
    """The prepared answer, with its numbered sources listed under it."""
    found: answers.Answer | None = turn.prepared.get("knowledge")
    if found is None:
        return None
    if found.entity:
        turn.context.entities[SUBJECT] = found.entity
    sources = "\n".join(
        f"[{c.number}] {c.title or c.source}" + (f" — {c.url}" if c.url else "")
        for c in found.citations
    )
    return Reply(
        f"{found.answer}\n\n{sources}" if sources else found.answer,
        "knowledge",
        {
            "mode": found.mode,
            "entity": found.entity,
            "citations": [
                {
                    "number": c.number,
                    "document_id": c.document_id,
                    "chunk_id": c.chunk_id,
                    "title": c.title,
                    "url": c.url,
                    "score": round(c.score, 3),
                }
                for c in found.citations
            ],
        },
    )


MEMBER = Member(
    "knowledge", handle, prepare, description="answers from the knowledge base, with citations"
)
