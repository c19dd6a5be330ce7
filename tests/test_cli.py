"""The command line, run as a user would (a real subprocess on a fresh data dir)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_MASTER_KEY


def frontdesk(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FRONTDESK_DATA_DIR": str(data_dir),
        "FRONTDESK_MASTER_KEY": TEST_MASTER_KEY,
        "FRONTDESK_LOG_LEVEL": "WARNING",
    }
    env.pop("FRONTDESK_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "frontdesk", *args],
        env=env,
        text=True,
        capture_output=True,
        check=check,
        timeout=120,
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_migrate_demo_tenant_and_apikey(tmp_path: Path):
    frontdesk(tmp_path, "migrate")
    key = last_line(frontdesk(tmp_path, "demo"))
    assert key.startswith("fd_")
    again = last_line(frontdesk(tmp_path, "demo"))  # idempotent, and a fresh key each time
    assert again.startswith("fd_") and again != key

    frontdesk(tmp_path, "tenant", "create", "shop-two", "--name", "Shop Two")
    dup = frontdesk(tmp_path, "tenant", "create", "shop-two", check=False)
    assert dup.returncode != 0
    bad = frontdesk(tmp_path, "tenant", "create", "Bad Slug!", check=False)
    assert bad.returncode != 0

    viewer = last_line(
        frontdesk(tmp_path, "apikey", "create", "--tenant", "shop-two", "--role", "viewer")
    )
    assert viewer.startswith("fd_")
    assert (
        frontdesk(
            tmp_path, "apikey", "create", "--tenant", "shop-two", "--role", "god", check=False
        ).returncode
        != 0
    )
    assert (
        frontdesk(
            tmp_path, "apikey", "create", "--tenant", "nope", "--role", "viewer", check=False
        ).returncode
        != 0
    )

    faq, me = asyncio.run(read_back(tmp_path, key, viewer))
    assert len(faq) >= 15
    assert me["name"] == "Shop Two"


async def read_back(data_dir: Path, admin: str, viewer: str) -> tuple[list[Any], dict[str, Any]]:
    from frontdesk.app import create_app
    from tests.conftest import base_settings

    app = create_app(base_settings(data_dir), workers=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        faq = await client.get("/api/v1/faq", headers={"Authorization": f"Bearer {admin}"})
        me = await client.get("/api/v1/tenant", headers={"Authorization": f"Bearer {viewer}"})
    return faq.json(), me.json()


def test_help_is_fast_and_lists_commands(tmp_path: Path):
    out = frontdesk(tmp_path, "--help").stdout
    for command in ("serve", "worker", "migrate", "demo", "tenant", "apikey", "dlq"):
        assert command in out


def test_production_refuses_to_start_without_master_key(tmp_path: Path):
    env = {**os.environ, "FRONTDESK_DATA_DIR": str(tmp_path), "FRONTDESK_ENV": "production"}
    env.pop("FRONTDESK_MASTER_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "frontdesk", "migrate"],
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "FRONTDESK_MASTER_KEY" in result.stderr


async def test_migrations_round_trip(tmp_path: Path):
    from sqlalchemy import inspect

    from frontdesk.core.db import create_null_pool_engine
    from frontdesk.core.migrate import downgrade, migrate
    from tests.conftest import base_settings

    settings = base_settings(tmp_path)

    async def tables() -> set[str]:
        engine = create_null_pool_engine(settings)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        await engine.dispose()
        return names - {"alembic_version"}

    await migrate(settings)
    assert {"tenants", "jobs", "messages", "raw_messages"} <= await tables()
    await downgrade(settings, "base")
    assert await tables() == set()
    await migrate(settings)
    assert "outbox_events" in await tables()


@pytest.mark.slow
def test_member_set_password_and_demo_login(tmp_path: Path) -> None:
    frontdesk(tmp_path, "migrate")
    demo = frontdesk(tmp_path, "demo")
    assert "admin@demo.example" in demo.stderr and "frontdesk-demo" in demo.stderr
    missing = frontdesk(
        tmp_path,
        "member",
        "set-password",
        "--tenant",
        "demo",
        "--email",
        "a@demo.example",
        "--password",
        "long-enough-1",
        check=False,
    )
    assert missing.returncode == 1 and "--role" in missing.stderr
    short = frontdesk(
        tmp_path,
        "member",
        "set-password",
        "--tenant",
        "demo",
        "--email",
        "a@demo.example",
        "--role",
        "agent",
        "--password",
        "short",
        check=False,
    )
    assert short.returncode == 1 and "at least 8" in short.stderr
    made = frontdesk(
        tmp_path,
        "member",
        "set-password",
        "--tenant",
        "demo",
        "--email",
        "a@demo.example",
        "--role",
        "agent",
        "--password",
        "long-enough-1",
    )
    assert made.stdout.strip()


def test_kb_ingest_and_query(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "returns.md").write_text("# Returns\n\nItems can be returned within 30 days.")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 nope")
    frontdesk(tmp_path, "migrate")
    frontdesk(tmp_path, "tenant", "create", "kbco")
    result = frontdesk(tmp_path, "kb", "ingest", str(docs), "--tenant", "kbco", "-n", "help")
    assert "1 documents ingested" in result.stdout and "1 failed" in result.stdout
    assert "corrupt PDF" in result.stderr
    result = frontdesk(
        tmp_path, "kb", "query", "how long to return", "--tenant", "kbco", "-n", "help"
    )
    assert "30 days" in result.stdout
    missing = frontdesk(
        tmp_path, "kb", "ingest", str(tmp_path / "nope"), "--tenant", "kbco", check=False
    )
    assert missing.returncode != 0
