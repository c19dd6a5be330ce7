"""The LLM fallback for intents (PRODUCT.md U2): when the classifier is unsure, ask the model.

The model may answer only with one of the tenant's intents or ``none`` (a JSON Schema enum the
gateway validates), so a fallback can never invent an intent no handler or rule knows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from frontdesk.core.errors import FrontdeskError
from frontdesk.core.logging import get_logger
from frontdesk.llm.schemas import CompletionRequest, NotConfigured

if TYPE_CHECKING:
    from frontdesk.runtime import Runtime

SERVICE = "intent"
NONE = "none"
MAX_TEXT = 2000
SYSTEM = (
    'You classify customer-service messages. Answer with JSON: {"intent": <name>} where '
    '<name> is exactly one of the intents listed, or "none" when the message fits none of '
    "them. Intents: "
)
log = get_logger("frontdesk.understanding.fallback")


def schema(labels: Sequence[str]) -> dict[str, object]:
    """The JSON Schema the answer must satisfy."""
    return {
        "type": "object",
        "properties": {"intent": {"type": "string", "enum": [*labels, NONE]}},
        "required": ["intent"],
        "additionalProperties": False,
    }


async def ask(runtime: Runtime, tenant_id: str, text: str, labels: Sequence[str]) -> str | None:
    """The intent the model reads in ``text``; None for "none", no model, or any failure."""
    if not labels or not text.strip():
        return None
    request = CompletionRequest(
        messages=[{"role": "user", "content": text[:MAX_TEXT]}],
        system=SYSTEM + ", ".join(labels),
        json_schema=schema(labels),
        temperature=0,
        max_tokens=50,
        service=SERVICE,
        preference="cheap",
    )
    try:
        result = await runtime.llm.complete(tenant_id, request)
    except FrontdeskError as exc:
        log.warning("intent_fallback_unavailable", code=exc.code)
        return None
    if isinstance(result, NotConfigured):
        return None
    name = result.data.get("intent") if isinstance(result.data, dict) else None
    return str(name) if name in labels else None
