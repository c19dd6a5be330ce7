"""The gateway as a plain text generator for one tenant (the knowledge QnA path's ``Generator``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from frontdesk.core.errors import FrontdeskError
from frontdesk.core.logging import get_logger
from frontdesk.llm.schemas import CompletionRequest, NotConfigured

if TYPE_CHECKING:
    from frontdesk.llm.client import LLMGateway

log = get_logger("frontdesk.llm.generator")


class TenantGenerator:
    """Generates through the gateway for ``tenant_id``; ``None`` means "answer without a model".

    A tenant with no provider, a spent budget or every provider down gets ``None``, so the
    caller falls back to an extractive answer instead of failing the customer.
    """

    def __init__(self, gateway: LLMGateway, tenant_id: str, service: str = "qna") -> None:
        self._gateway = gateway
        self._tenant_id = tenant_id
        self._service = service

    async def generate(self, prompt: str, system: str) -> str | None:
        """The completion's text, or ``None``."""
        request = CompletionRequest(
            messages=[{"role": "user", "content": prompt}], system=system, service=self._service
        )
        try:
            result = await self._gateway.complete(self._tenant_id, request)
        except FrontdeskError as exc:
            log.warning("generation_unavailable", service=self._service, code=exc.code)
            return None
        return None if isinstance(result, NotConfigured) else result.text
