"""The web chat behind the same protocol: replies are delivered in app (stored + live stream).

Its intake is the public web chat API (``intake/api.py``), not a provider webhook, so the webhook
route refuses it; a reply needs no provider call because the widget reads the conversation.
"""

from __future__ import annotations

from typing import Any

import httpx
from starlette.responses import Response

from frontdesk.channels.canonical import Reply
from frontdesk.channels.protocol import Capabilities, Parsed, Payload, Target, WebhookRequest
from frontdesk.core.errors import NotFound


class WebchatAdapter:
    """The embeddable web chat widget."""

    type = "webchat"
    capabilities = Capabilities(
        max_buttons=10,
        max_button_title=80,
        max_list_rows=50,
        max_row_title=80,
        media=True,
        location=True,
        max_text=8000,
    )
    content_types: tuple[str, ...] = ()
    required_credentials: tuple[str, ...] = ()
    required_config: tuple[str, ...] = ()
    generated_credential = None
    in_app = True

    def verify(self, request: WebhookRequest, credentials: dict[str, str]) -> None:
        """The web chat has no webhook."""
        raise NotFound("The web chat has no webhook; use the web chat API")

    def handshake(self, request: WebhookRequest, credentials: dict[str, str]) -> Response | None:
        """No handshake."""
        return None

    def ack(self) -> Response | None:
        """Never called."""
        return None

    def parse(self, request: WebhookRequest) -> Parsed:
        """Nothing arrives by webhook."""
        return []

    def render(self, reply: Reply, target: Target) -> list[Payload]:
        """The reply as stored for the widget."""
        return [reply.model_dump(exclude_defaults=True)]

    async def send(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        credentials: dict[str, str],
        config: dict[str, Any],
        payload: Payload,
    ) -> str:
        """Nothing to send: the widget reads the stored reply over its stream."""
        return ""
