"""A real server with the built console and the demo tenant, and Debian's Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from frontdesk.webui.static import PACKAGED
from tests.conftest import TEST_MASTER_KEY
from tests.server import ServerProcess

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWER = ("viewer@demo.example", "viewer-pass-1")


@dataclass
class Console:
    url: str
    data_dir: Path


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "frontdesk", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    if not (PACKAGED / "index.html").exists():
        pytest.skip("the console is not built (make setup)")
    data = tmp_path_factory.mktemp("e2e")
    env = {
        "FRONTDESK_DATA_DIR": str(data),
        "FRONTDESK_MASTER_KEY": TEST_MASTER_KEY,
        "FRONTDESK_LOG_LEVEL": "WARNING",
        "FRONTDESK_QUEUE_POLL_SECONDS": "0.05",
        "FRONTDESK_DATABASE_URL": "",
    }
    _cli(env, "migrate")
    _cli(env, "demo")
    _cli(
        env,
        "member",
        "set-password",
        "--tenant",
        "demo",
        "--email",
        VIEWER[0],
        "--role",
        "viewer",
        "--password",
        VIEWER[1],
    )
    server = ServerProcess(env, data / "server.log")
    server.start()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield Console(server.url, data)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(console: Console) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
