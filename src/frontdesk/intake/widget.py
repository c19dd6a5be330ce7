"""The embeddable chat widget (``/widget.js``) and a page that embeds it (``/widget-demo``)."""

from __future__ import annotations

import gzip
import hashlib
import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from frontdesk.core.deps import RuntimeDep
from frontdesk.core.errors import ValidationFailed

router = APIRouter(tags=["widget"], include_in_schema=False)

SCRIPT_TYPE = "text/javascript; charset=utf-8"
CACHE = "public, max-age=300, must-revalidate"
NOT_BUILT = b"/* Frontdesk: the chat widget is not built. Run `make setup` (or `make widget`). */\n"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True, slots=True)
class Asset:
    """One built file, its gzip form, and its strong ETag."""

    body: bytes
    gzipped: bytes
    etag: str


@lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int, size: int) -> Asset:
    body = path.read_bytes()
    digest = hashlib.sha256(body).hexdigest()[:32]
    return Asset(body, gzip.compress(body, 9, mtime=0), f'"{digest}"')


def load_asset(path: Path) -> Asset | None:
    """The file at ``path`` (re-read only when it changes), or None when it is missing."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return _load(path, stat.st_mtime_ns, stat.st_size)


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


@router.api_route("/widget.js", methods=["GET", "HEAD"])
async def widget_js(request: Request, runtime: RuntimeDep) -> Response:
    """The widget bundle: ETag-validated, gzip when accepted; 503 with a JS comment if not built."""
    asset = load_asset(runtime.settings.widget_dir / "widget.js")
    if asset is None:
        headers = {"Cache-Control": "no-store"}
        return Response(NOT_BUILT, status_code=503, media_type=SCRIPT_TYPE, headers=headers)
    headers = {
        "ETag": asset.etag,
        "Cache-Control": CACHE,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if _etag_matches(request.headers.get("if-none-match"), asset.etag):
        return Response(status_code=304, headers=headers)
    body = asset.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=SCRIPT_TYPE, headers=headers)


DEMO_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Frontdesk widget demo</title>
</head>
<body>
<main>
<h1>Frontdesk widget demo</h1>
<p>This page embeds the chat widget of tenant <code>{tenant}</code> with one script tag:</p>
<pre>{snippet}</pre>
<p>Open the chat with the button at the bottom right.</p>
</main>
{tag}
</body>
</html>
"""


@router.get("/widget-demo")
async def widget_demo(
    request: Request,
    tenant: Annotated[str, Query(max_length=63)] = "demo",
    title: Annotated[str, Query(max_length=80)] = "Chat with us",
) -> HTMLResponse:
    """A page embedding the widget for ``tenant``, to try it locally."""
    if not SLUG.match(tenant):
        raise ValidationFailed("tenant must be a tenant slug (a-z, 0-9, -)")
    src = str(request.url_for("widget_js"))
    tag = (
        f'<script src="{html.escape(src)}" data-tenant="{tenant}" '
        f'data-title="{html.escape(title)}" '
        'data-greeting="Hi! Ask me about shipping, returns or payments." async></script>'
    )
    page = DEMO_PAGE.format(tenant=tenant, snippet=html.escape(tag), tag=tag)
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
            "img-src 'self' https: data:; frame-ancestors 'none'",
            "Cache-Control": "no-store",
        },
    )
