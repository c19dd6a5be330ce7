"""The widget in Debian's Chromium: embedded on another origin's page, against a real server."""

from __future__ import annotations

import asyncio
import statistics
import struct
import threading
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from frontdesk.conversations import service as conversations
from frontdesk.core.db import Database, create_null_pool_engine
from frontdesk.core.migrate import migrate
from frontdesk.knowledge.models import FaqEntry
from frontdesk.settings import Settings
from frontdesk.tenants.settings import DEFAULT_NO_AGENT
from tests.conftest import TEST_MASTER_KEY, base_settings
from tests.factories import SHIPPING_ANSWER, make_tenant
from tests.server import ServerProcess

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TENANT = "shop"
XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
XSS_QUESTION = "Do you sell gift cards?"
XSS_ANSWER = 'Yes! <img src=x onerror="window.__pwned=3"> <b>bold</b>'
HOSTILE_CSS = """
body * { color: rgb(255, 0, 0) !important; font-family: serif !important; }
button { display: none !important; }
div { border: 5px solid lime; }
"""
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><link rel="stylesheet" href="/hostile.css">
<title>Shop</title></head>
<body><a href="#top" id="first-link">Skip</a><h1>Shop</h1>
<p class="fd-text" id="probe">Page text styled by the page only.</p>
<script src="{api}/widget.js" data-tenant="{tenant}" data-title="Shop help"
 data-greeting="Hi! How can we help?" async></script>
</body></html>
"""

pytest.importorskip("playwright")
if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


async def _seed(settings: Settings) -> None:
    await migrate(settings)
    db = Database(create_null_pool_engine(settings))
    tenant_id, _ = await make_tenant(db, TENANT)
    async with db.tenant_session(tenant_id) as session:
        session.add(FaqEntry(tenant_id=tenant_id, question=XSS_QUESTION, answer=XSS_ANSWER))
        await session.commit()
    await db.dispose()


def _png(width: int, height: int) -> bytes:
    """A small solid PNG, for the image-rendering check."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x25\x63\xeb" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + (chunk(b"IEND", b""))
    )


def _in_thread(coro: Any) -> Any:
    # Playwright's sync API runs an event loop in this thread once the browser is up.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _agent_reply(data_dir: Path, session_id: str, content: dict[str, Any]) -> None:
    """What another process (an agent, a workflow) does: append a rich reply to the thread."""
    db = Database(create_null_pool_engine(base_settings(data_dir)))
    async with db.system_session() as session:
        tenant_id = (await session.execute(text("SELECT id FROM tenants"))).scalar_one()
    async with db.tenant_session(tenant_id) as session:
        channel_id = (await session.execute(text("SELECT id FROM channels"))).scalar_one()
        conversation = await conversations.find_thread(session, tenant_id, channel_id, session_id)
        assert conversation is not None
        message = conversations.add_message(
            session, conversation, direction="out", sender="agent", text="Here are your options:"
        )
        message.content = content
        await session.commit()
    await db.dispose()


def _serve(data: Path, **env: str) -> ServerProcess:
    """Seed a database under ``data`` and start ``frontdesk serve`` on it."""
    settings = base_settings(data)
    if not (settings.widget_dir / "widget.js").exists():
        pytest.fail(f"{settings.widget_dir}/widget.js is not built: run `make widget`")
    _in_thread(_seed(settings))
    env = {
        "FRONTDESK_DATA_DIR": str(data),
        "FRONTDESK_MASTER_KEY": TEST_MASTER_KEY,
        "FRONTDESK_LOG_LEVEL": "WARNING",
        "FRONTDESK_QUEUE_POLL_SECONDS": "0.1",
        **env,
    }
    process = ServerProcess(env, data / "server.log")
    process.start()
    return process


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real ``frontdesk serve`` process with a tenant and its FAQ."""
    process = _serve(tmp_path_factory.mktemp("e2e"), FRONTDESK_PUBLIC_BURST_PER_IP="1000")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The same, with a public rate limit that a visitor reaches in a few requests."""
    process = _serve(
        tmp_path_factory.mktemp("e2e-strict"),
        FRONTDESK_PUBLIC_RATE_PER_IP="0.05",
        FRONTDESK_PUBLIC_BURST_PER_IP="4",
    )
    yield process
    process.stop()


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> str:
    return server.url


class _PageHandler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        api = self.server.api  # type: ignore[attr-defined]
        self.send_header(
            "Content-Security-Policy",
            f"default-src 'self'; script-src {api}; connect-src {api}; style-src 'self'; "
            "img-src 'self' data:",
        )
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(
    api: str, strict_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The customer's own site, on another origin, with a strict CSP and hostile CSS.

    ``index.html`` embeds the widget from ``api``; ``strict.html`` from the rate-limited server.
    """
    root = tmp_path_factory.mktemp("site")
    (root / "index.html").write_text(PAGE.format(api=api, tenant=TENANT))
    (root / "strict.html").write_text(PAGE.format(api=strict_server.url, tenant=TENANT))
    (root / "hostile.css").write_text(HOSTILE_CSS)
    (root / "parcel.png").write_bytes(_png(160, 90))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_PageHandler, directory=str(root)))
    httpd.api = f"{api} {strict_server.url}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{httpd.server_address[1]}/index.html"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Errors the page logged; a test removes the ones it provokes on purpose."""
    return []


@pytest.fixture
def page(browser: Browser, site: str, console_errors: list[str]) -> Iterator[Page]:
    """A fresh visitor (empty storage) on the site; fails the test on any console error."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: console_errors.append(str(e)))
    pg.goto(site)
    yield pg
    context.close()
    assert console_errors == []


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"widget-{name}.png"))


def open_chat(page: Page) -> None:
    page.locator(".fd-launcher").click()
    expect(page.get_by_role("dialog", name="Shop help")).to_be_visible()


def say(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def bot_texts(page: Page) -> Any:
    return page.locator(".fd-theirs[data-sender] .fd-text")


def test_faq_question_gets_the_faq_answer_live(page: Page) -> None:
    open_chat(page)
    expect(page.locator(".fd-greeting")).to_have_text("Hi! How can we help?")
    say(page, "When will my order arrive?")
    expect(page.locator(".fd-mine .fd-text")).to_have_text(["When will my order arrive?"])
    expect(bot_texts(page)).to_have_text([SHIPPING_ANSWER])
    expect(page.locator(".fd-pending")).to_have_count(0)
    shot(page, "faq-answer")


def test_unmatched_question_with_no_agent_available_is_told_so(page: Page) -> None:
    open_chat(page)
    say(page, "My blender exploded, I need to talk to someone")
    expect(bot_texts(page)).to_have_text([DEFAULT_NO_AGENT])
    shot(page, "fallback")


def test_session_and_history_survive_a_reload(page: Page) -> None:
    open_chat(page)
    say(page, "What is your return policy?")
    expect(bot_texts(page)).to_have_count(1)
    stored = page.evaluate(f"localStorage.getItem('frontdesk-widget:{TENANT}')")
    page.reload()
    open_chat(page)
    expect(page.locator(".fd-msg:not(.fd-greeting) .fd-text")).to_have_text(
        ["What is your return policy?", "You can return items within 30 days."]
    )
    assert page.evaluate(f"localStorage.getItem('frontdesk-widget:{TENANT}')") == stored
    say(page, "When will my order arrive?")
    expect(bot_texts(page)).to_have_text(["You can return items within 30 days.", SHIPPING_ANSWER])
    shot(page, "after-reload")


def test_xss_in_messages_and_faq_text_is_shown_as_text(page: Page) -> None:
    open_chat(page)
    say(page, XSS)
    expect(page.locator(".fd-mine .fd-text")).to_have_text([XSS])
    expect(bot_texts(page)).to_have_text([DEFAULT_NO_AGENT])
    say(page, XSS_QUESTION)
    expect(bot_texts(page).last).to_have_text(XSS_ANSWER)
    assert page.evaluate("window.__pwned") is None
    assert page.locator(".fd-log img, .fd-log script, .fd-log b").count() == 0
    shot(page, "xss")


def test_keyboard_only(page: Page) -> None:
    page.locator("#first-link").focus()
    page.keyboard.press("Tab")
    launcher = page.locator(".fd-launcher")
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    page.keyboard.type("How long does shipping take?")
    page.keyboard.press("Enter")
    expect(bot_texts(page)).to_have_text([SHIPPING_ANSWER])
    expect(page.get_by_role("log", name="Conversation")).to_have_attribute("aria-live", "polite")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()


def test_styles_do_not_leak_in_or_out(page: Page) -> None:
    open_chat(page)
    say(page, "When will my order arrive?")
    expect(bot_texts(page)).to_have_count(1)
    style = bot_texts(page).first.evaluate(
        "e => { const s = getComputedStyle(e); return [s.color, s.fontFamily, s.borderTopWidth] }"
    )
    assert style[0] != "rgb(255, 0, 0)"
    assert "serif" != style[1] and "system-ui" in style[1]
    assert style[2] == "0px"
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    host = page.locator("frontdesk-chat").evaluate("e => getComputedStyle(e).borderTopWidth")
    assert host == "0px"
    probe = page.locator("#probe").evaluate(
        "e => { const s = getComputedStyle(e); return [s.color, s.backgroundColor] }"
    )
    assert probe == ["rgb(255, 0, 0)", "rgba(0, 0, 0, 0)"]


def test_phone_width(browser: Browser, site: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True)
    page = context.new_page()
    page.goto(site)
    open_chat(page)
    box = page.locator(".fd-panel").bounding_box()
    assert box is not None and box["width"] == 375 and box["height"] == 667
    say(page, "What is your return policy?")
    expect(bot_texts(page)).to_have_count(1)
    shot(page, "phone")
    context.close()


TIMER = """() => {
  const root = document.querySelector('[data-frontdesk-widget]').shadowRoot;
  const box = root.querySelector('textarea');
  window.__sent = []; window.__replied = [];
  box.addEventListener('keydown', e => { if (e.key === 'Enter') __sent.push(performance.now()) },
    true);
  new MutationObserver(records => records.forEach(r => r.addedNodes.forEach(n => {
    if (n.dataset && n.dataset.sender === 'bot') __replied.push(performance.now());
  }))).observe(root.querySelector('[role=log]'), { childList: true });
}"""


def test_send_to_reply_latency(page: Page) -> None:
    open_chat(page)
    page.evaluate(TIMER)
    rounds = 10
    for i in range(rounds):
        say(page, "When will my order arrive?" if i % 2 else "What is your return policy?")
        expect(bot_texts(page)).to_have_count(i + 1)
    sent, replied = page.evaluate("[window.__sent, window.__replied]")
    waits = sorted(r - s for s, r in zip(sent, replied, strict=True))
    print(
        f"\nwidget send -> reply rendered over {rounds} FAQ questions: "
        f"median {statistics.median(waits):.0f} ms, max {waits[-1]:.0f} ms"
    )


def test_stream_reconnects_after_a_server_restart(
    browser: Browser, site: str, server: ServerProcess
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(site)
    open_chat(page)
    say(page, "What is your return policy?")
    expect(bot_texts(page)).to_have_count(1)
    server.kill()
    expect(page.get_by_role("alert")).to_contain_text("Connection lost")
    server.start()
    expect(page.get_by_role("alert")).to_be_hidden(timeout=20_000)
    say(page, "When will my order arrive?")
    expect(bot_texts(page)).to_have_text(["You can return items within 30 days.", SHIPPING_ANSWER])
    ids = page.locator(".fd-msg[data-id]").evaluate_all("nodes => nodes.map(n => n.dataset.id)")
    assert len(ids) == 4 and len(set(ids)) == 4
    shot(page, "reconnected")
    context.close()


def test_rich_reply_renders_buttons_list_and_image(
    page: Page, server: ServerProcess, site: str
) -> None:
    open_chat(page)
    say(page, "My blender exploded")
    expect(bot_texts(page)).to_have_count(1)
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('frontdesk-widget:{TENANT}'))")
    content = {
        "buttons": [{"label": "Shipping times", "payload": "When will my order arrive?"}],
        "list": {"title": "Popular", "items": [{"title": XSS, "description": "not a link"}]},
        "images": [{"url": site.replace("index.html", "parcel.png"), "alt": "Parcel"}],
    }
    page.reload()  # the panel is closed now; the remembered session reconnects anyway
    expect(page.locator(".fd-msg[data-id]")).to_have_count(2)  # history in: the stream is next
    data_dir = Path(server.env["FRONTDESK_DATA_DIR"])
    _in_thread(_agent_reply(data_dir, stored["sessionId"], content))
    expect(page.locator(".fd-badge")).to_have_text("1")
    launcher = page.get_by_role("button", name="Open chat: Shop help, 1 new message")
    shot(page, "unread")
    launcher.click()
    expect(page.locator(".fd-badge")).to_be_hidden()
    agent = page.locator(".fd-theirs[data-sender=agent]")
    expect(agent.locator(".fd-list-title")).to_have_text("Popular")
    expect(agent.locator(".fd-list-item-title")).to_have_text(XSS)
    image = agent.get_by_role("img", name="Parcel")
    expect(image).to_have_count(1)
    page.wait_for_function(
        "() => document.querySelector('frontdesk-chat').shadowRoot"
        ".querySelector('img.fd-image').naturalWidth === 160"
    )
    shot(page, "rich")
    agent.get_by_role("group", name="Suggested replies").get_by_role(
        "button", name="Shipping times"
    ).click()
    expect(bot_texts(page).last).to_have_text(SHIPPING_ANSWER)
    expect(page.locator(".fd-mine .fd-text").last).to_have_text("When will my order arrive?")
    assert page.evaluate("window.__pwned") is None


def test_an_invalid_stored_session_is_replaced(page: Page, console_errors: list[str]) -> None:
    page.evaluate(
        f"localStorage.setItem('frontdesk-widget:{TENANT}', "
        "JSON.stringify({sessionId: 'gone', token: 'stale'}))"
    )
    page.reload()
    open_chat(page)
    say(page, "What is your return policy?")
    expect(bot_texts(page)).to_have_text(["You can return items within 30 days."])
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('frontdesk-widget:{TENANT}'))")
    assert stored["sessionId"] != "gone"
    # Chromium itself logs the refused history request; the widget logs nothing.
    assert console_errors == [
        "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    ]
    console_errors.clear()


def test_widget_js_size(api: str) -> None:
    r = httpx.get(f"{api}/widget.js", headers={"Accept-Encoding": "gzip"})
    size = int(r.headers["content-length"])
    print(f"\nwidget.js: {len(r.content)} bytes, {size} bytes gzipped")
    assert r.headers["content-encoding"] == "gzip"
    assert size < 30 * 1024


def test_demo_page_serves_a_working_widget(browser: Browser, api: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{api}/widget-demo?tenant={TENANT}")
    page.get_by_role("button", name="Open chat: Chat with us").click()
    say(page, "When will my order arrive?")
    expect(bot_texts(page)).to_have_text([SHIPPING_ANSWER])
    shot(page, "demo-page")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    page.evaluate("FrontdeskWidget.open()")  # the page's own "Contact us" links can do this
    expect(page.get_by_role("dialog")).to_be_visible()
    context.close()
    assert errors == []


def test_rate_limited_visitor_is_told_when_to_retry(
    browser: Browser, site: str, console_errors: list[str]
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(site.replace("index.html", "strict.html"))
    open_chat(page)  # session + stream: 2 of the 4 requests allowed
    say(page, "What is your return policy?")  # 3
    expect(bot_texts(page)).to_have_count(1)
    say(page, "When will my order arrive?")  # 4
    say(page, "And do you ship abroad?")  # 5: refused, Retry-After read across origins
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Too many messages. Try again in")
    expect(page.locator(".fd-failed .fd-note")).to_have_text("Not sent")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    expect(page.get_by_role("textbox", name="Message")).to_have_value("And do you ship abroad?")
    shot(page, "rate-limited")
    context.close()
    assert console_errors and all("429" in e for e in console_errors)
    console_errors.clear()
