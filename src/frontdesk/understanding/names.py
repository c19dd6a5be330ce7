"""People's names in a message (PRODUCT.md U3), read by the LLM when the tenant has one.

Only messages that may hold a name are sent ("my name is…", "I'm Anna", "ask Tom Baker", "ich
heiße…", "je m'appelle…", "me llamo…", "Mrs Baker", "Herr Schmidt"), and a name
counts only when it is written in the message: the model cannot invent one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from frontdesk.core.errors import FrontdeskError
from frontdesk.core.logging import get_logger
from frontdesk.llm.schemas import CompletionRequest, NotConfigured
from frontdesk.understanding.entities import Entity

if TYPE_CHECKING:
    from frontdesk.runtime import Runtime

SERVICE = "entities"
MAX_TEXT = 1000
MAX_NAMES = 5
_INTRO = re.compile(
    r"\b(?:my name is|name's|call me|ich heiße|mein name ist|je m'appelle|me llamo|"
    r"mi nombre es)\s+\S",
    re.IGNORECASE,
)
_PRESENTED = re.compile(
    r"\b(?i:i am|i'm|this is|ask for|speak (?:to|with)|ich bin|je suis|soy)\s+[A-ZÀ-Þ]"
)
_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Herr|Frau|Mme|Mlle|Sr|Sra)\.?\s+[A-ZÀ-Þ]")
SYSTEM = (
    "Extract the names of people written in the customer's message (not companies, products or "
    'places). Answer with JSON: {"names": [...]}, each name exactly as written; an empty list '
    "when there is none."
)
SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "names": {
            "type": "array",
            "items": {"type": "string", "maxLength": 100},
            "maxItems": MAX_NAMES,
        }
    },
    "required": ["names"],
    "additionalProperties": False,
}
log = get_logger("frontdesk.understanding.names")


def may_name(text: str) -> bool:
    """Whether ``text`` may hold a person's name (worth asking the model)."""
    return bool(_INTRO.search(text) or _PRESENTED.search(text) or _TITLE.search(text))


def located(text: str, names: list[str]) -> list[Entity]:
    """The names that are really in ``text``, as entities (normalised to title case)."""
    found: list[Entity] = []
    for name in names[:MAX_NAMES]:
        name = " ".join(name.split())
        start = text.find(name) if name else -1
        if start < 0 or any(e.start == start for e in found):
            continue
        value = " ".join(part[:1].upper() + part[1:] for part in name.split())
        found.append(Entity("person_name", name, value, start, start + len(name)))
    return found


async def person_names(runtime: Runtime, tenant_id: str, text: str) -> list[Entity]:
    """The people named in ``text``; none without a model, or when the model fails."""
    if not may_name(text):
        return []
    request = CompletionRequest(
        messages=[{"role": "user", "content": text[:MAX_TEXT]}],
        system=SYSTEM,
        json_schema=SCHEMA,
        temperature=0,
        max_tokens=80,
        service=SERVICE,
        preference="cheap",
    )
    try:
        result = await runtime.llm.complete(tenant_id, request)
    except FrontdeskError as exc:
        log.warning("names_unavailable", code=exc.code)
        return []
    if isinstance(result, NotConfigured) or not isinstance(result.data, dict):
        return []
    return located(text[:MAX_TEXT], [str(n) for n in result.data.get("names") or []])
