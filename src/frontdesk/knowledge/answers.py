"""Answers from the knowledge base with numbered citations (PRODUCT.md K5).

Retrieve, keep the passages whose fused score clears the relevance floor, then either ask the
LLM gateway for an answer grounded in those numbered passages, or (no generator configured, or it
gave nothing) answer extractively with the best passage. Below the floor the answer is an honest
"I don't know" rather than a guess.
"""

from __future__ import annotations

import re
from typing import Literal, Protocol

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.knowledge import search
from frontdesk.knowledge.index import KnowledgeBase
from frontdesk.knowledge.schemas import QueryHit, QueryRequest

DONT_KNOW = "I don't know the answer to that."
SYSTEM = (
    "You answer customers' questions using only the numbered sources given. Cite every claim "
    "with its source number in square brackets, like [1]. If the sources do not contain the "
    f'answer, reply exactly: "{DONT_KNOW}"'
)
_CITED = re.compile(r"\[(\d{1,2})\]")


class Generator(Protocol):
    """The LLM gateway's text generation, as the QnA path needs it."""

    async def generate(self, prompt: str, system: str) -> str | None:
        """The completion, or None when no model is configured."""
        ...


class Citation(BaseModel):
    """A numbered source of an answer."""

    number: int
    document_id: str
    chunk_id: str
    title: str
    source: str
    url: str | None
    score: float
    excerpt: str


class Answer(BaseModel):
    """An answer and the sources it rests on."""

    answer: str
    mode: Literal["generated", "extractive", "dont_know"]
    citations: list[Citation]
    entity: str | None = None


def citation(number: int, hit: QueryHit) -> Citation:
    """The citation of a retrieved chunk."""
    meta = hit.metadata
    return Citation(
        number=number,
        document_id=hit.document_id,
        chunk_id=hit.chunk_id,
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        url=meta.get("url"),
        score=hit.score,
        excerpt=hit.content[:500],
    )


def grounded_prompt(question: str, hits: list[QueryHit]) -> str:
    """The question under its numbered sources."""
    sources = "\n\n".join(
        f"[{n}] {hit.metadata.get('title', '')}\n{hit.content}" for n, hit in enumerate(hits, 1)
    )
    return f"Sources:\n\n{sources}\n\nQuestion: {question}\nAnswer with citations:"


async def answer(
    session: AsyncSession,
    kb: KnowledgeBase,
    tenant_id: str,
    request: QueryRequest,
    generator: Generator | None = None,
    floor: float | None = None,
) -> Answer:
    """Answer ``request.query`` from the namespace, citing its sources."""
    floor = kb.settings.kb_answer_floor if floor is None else floor
    found = await search.search(session, kb, tenant_id, request)
    hits = [hit for hit in found.results if hit.score >= floor]
    if not hits:
        return Answer(answer=DONT_KNOW, mode="dont_know", citations=[], entity=found.entity)
    citations = [citation(n, hit) for n, hit in enumerate(hits, 1)]
    text = (
        await generator.generate(grounded_prompt(request.query, hits), SYSTEM)
        if generator
        else None
    )
    if text and text.strip():
        text = text.strip()
        if DONT_KNOW.rstrip(".").lower() in text.lower():
            return Answer(answer=DONT_KNOW, mode="dont_know", citations=[], entity=found.entity)
        cited = {int(n) for n in _CITED.findall(text)}
        used = [c for c in citations if c.number in cited] or citations
        return Answer(answer=text, mode="generated", citations=used, entity=found.entity)
    best = hits[0]
    return Answer(
        answer=f"{best.content.strip()} [1]",
        mode="extractive",
        citations=citations[:1],
        entity=found.entity,
    )
