"""What the semantic cache may hold, and the scope that keeps answers apart."""

from __future__ import annotations

import hashlib

from frontdesk.llm.schemas import CompletionRequest


def cacheable(request: CompletionRequest) -> bool:
    """Single-question, plain-text requests that did not opt out (no multi-turn replays)."""
    users = sum(1 for m in request.messages if m.role == "user")
    return request.cache and users == 1 and len(request.messages) == 1 and not request.wants_json


def scope_of(model: str, system: str | None, knowledge_version: str | None) -> str:
    """The key that separates answers that must never be mixed."""
    digest = hashlib.sha256()
    for part in (model, system or "", knowledge_version or ""):
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()
