"""URLs: an SSRF-guarded fetch, and an optional same-site crawl.

The crawl is breadth-first from the start page, stays on the start page's host, stops at the
depth and page limits, never fetches a URL twice (fragments and trailing slashes ignored, so
loops end), and skips what the site's robots.txt disallows for our user agent.
"""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from frontdesk.core.http import UnsafeURL, safe_client
from frontdesk.knowledge.ingest.base import IngestError, Limits
from frontdesk.knowledge.ingest.sources import Outcome, Outcomes, outcome_of
from frontdesk.settings import Settings

USER_AGENT = "FrontdeskBot/1.0 (+knowledge ingestion)"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)


def links(html: str, base: str) -> list[str]:
    """Absolute http(s) links of a page, without fragments."""
    parser = _Links()
    parser.feed(html)
    out = []
    for href in parser.hrefs:
        url = urldefrag(urljoin(base, href)).url
        if urlsplit(url).scheme in ("http", "https"):
            out.append(url)
    return out


def canonical(url: str) -> str:
    """The form two URLs share when they are the same page (no fragment or trailing slash)."""
    parts = urlsplit(urldefrag(url).url)
    path = parts.path.rstrip("/") or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc.lower()}{path}{query}"


async def fetch(client: httpx.AsyncClient, url: str, max_bytes: int) -> tuple[bytes, str, str]:
    """The body, content type and final URL; refused past ``max_bytes`` while streaming."""
    try:
        async with client.stream("GET", url, headers={"User-Agent": USER_AGENT}) as response:
            if response.status_code != 200:
                raise IngestError(f"{url}: HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise IngestError(f"{url}: {declared} bytes is over the limit of {max_bytes}")
            body = bytearray()
            async for part in response.aiter_bytes():
                body.extend(part)
                if len(body) > max_bytes:
                    raise IngestError(f"{url}: over the limit of {max_bytes} bytes")
            return bytes(body), response.headers.get("content-type", ""), str(response.url)
    except UnsafeURL as exc:
        raise IngestError(f"{url}: {exc.detail}") from exc
    except httpx.HTTPError as exc:
        raise IngestError(f"{url}: fetch failed ({type(exc).__name__})") from exc


async def _robots(client: httpx.AsyncClient, start: str) -> RobotFileParser:
    parts = urlsplit(start)
    robots = RobotFileParser()
    try:
        body, _, _ = await fetch(client, f"{parts.scheme}://{parts.netloc}/robots.txt", 512_000)
        robots.parse(body.decode("utf-8", "replace").splitlines())
    except IngestError:
        robots.parse([])  # no robots.txt: everything allowed
    return robots


def _name(url: str, content_type: str) -> str:
    path = urlsplit(url).path
    last = path.rsplit("/", 1)[-1]
    if "." in last:
        return last
    return "page.html" if "html" in content_type or not content_type else last or "page"


async def crawl(
    settings: Settings,
    start: str,
    limits: Limits,
    *,
    depth: int = 0,
    max_pages: int = 1,
    max_bytes: int,
) -> Outcomes:
    """The start page and, with ``depth`` > 0, same-site pages it links to."""
    host = urlsplit(start).netloc.lower()
    queue: deque[tuple[str, int]] = deque([(start, 0)])
    seen = {canonical(start)}
    pages = 0
    async with safe_client(settings, follow_redirects=True) as client:
        robots = await _robots(client, start) if depth > 0 else None
        while queue and pages < max_pages:
            url, level = queue.popleft()
            if robots is not None and not robots.can_fetch(USER_AGENT, url):
                yield Outcome(url, error=f"{url}: disallowed by robots.txt")
                continue
            pages += 1
            try:
                body, content_type, final = await fetch(client, url, max_bytes)
            except IngestError as exc:
                yield Outcome(url, error=exc.detail)
                continue
            yield await outcome_of(body, _name(final, content_type), url, limits, content_type, url)
            if level >= depth or "html" not in content_type:
                continue
            for link in links(body.decode("utf-8", "replace"), final):
                key = canonical(link)
                if urlsplit(link).netloc.lower() == host and key not in seen:
                    seen.add(key)
                    queue.append((link, level + 1))
