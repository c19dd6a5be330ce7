"""CORS for the public web chat API only: the widget calls it from customers' own sites."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

PUBLIC_PREFIX = "/api/v1/webchat/"


class WebchatCORS:
    """Starlette's CORS handling, applied to ``/api/v1/webchat/`` and nothing else.

    No cookies are involved (the widget sends a bearer token), so credentials stay off and any
    configured origin may call; every other route keeps the browser's same-origin rule.
    """

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-ID"],
            expose_headers=["Retry-After", "X-Request-ID"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route public web chat requests through CORS, everything else straight on."""
        if scope["type"] == "http" and scope["path"].startswith(PUBLIC_PREFIX):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
