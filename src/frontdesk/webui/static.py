"""Serves the built console (``console_dist/``) at ``/``, with an SPA fallback.

Hashed assets under ``/assets/`` are cached for a year; ``index.html`` is never cached, so a
new build is picked up at the next load. API, webhook, ops and widget paths are never shadowed:
this router is included last and refuses them explicitly.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from frontdesk.core.errors import NotFound
from frontdesk.settings import Settings

PACKAGED = Path(__file__).resolve().parent.parent / "console_dist"
RESERVED = ("api/", "api", "webhooks/", "healthz", "readyz", "metrics", "widget.js")
IMMUTABLE = "public, max-age=31536000, immutable"
# The console loads nothing from elsewhere; a script injected into a page could not run.
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Frontdesk</title>
</head><body style="font-family:system-ui;margin:3rem;max-width:40rem">
<h1>Frontdesk is running</h1><p>The web console has not been built. Run <code>make setup</code>
(it needs Node.js and npm) and reload this page. The API is up: see
<a href="/api/docs">/api/docs</a>.</p></body></html>"""


def console_dir(settings: Settings) -> Path:
    """Where the built console is read from."""
    return (settings.console_dir or PACKAGED).resolve()


def _inside(root: Path, relative: str) -> Path | None:
    candidate = (root / relative).resolve()
    if candidate != root and root not in candidate.parents:
        return None
    return candidate if candidate.is_file() else None


def console_router(settings: Settings) -> APIRouter:
    """The routes serving the console; include it after every other router."""
    router = APIRouter(include_in_schema=False)
    root = console_dir(settings)

    @router.get("/assets/{path:path}")
    async def asset(path: str) -> Response:
        found = _inside(root / "assets", path)
        if found is None:
            raise NotFound("No such asset")
        return FileResponse(found, headers={"Cache-Control": IMMUTABLE})

    @router.get("/{path:path}")
    async def page(path: str, request: Request) -> Response:
        if path.startswith(RESERVED):
            raise NotFound(f"No route {request.url.path}")
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": "no-store"})
        found = _inside(root, path) if path else None
        if found is not None:
            return FileResponse(found, headers={"Cache-Control": "public, max-age=3600"})
        return FileResponse(index, headers=PAGE_HEADERS)

    return router


def install_console(app: FastAPI, settings: Settings) -> None:
    """Mount the console at ``/`` (last, so it never shadows another route)."""
    app.include_router(console_router(settings))
