"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from frontdesk.app import create_app
from frontdesk.core.auth import Role
from frontdesk.core.db import Base
from frontdesk.core.migrate import migrate
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from tests.factories import make_tenant

POSTGRES_URL = os.environ.get("FRONTDESK_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])
TEST_MASTER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
# The local model's ONNX export, made once and shared by every test and test server.
MODELS = Path(__file__).resolve().parents[1] / "var" / "test-models"
os.environ.setdefault("FRONTDESK_MODEL_CACHE_DIR", str(MODELS))


def base_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "data_dir": data_dir,
        "master_key": TEST_MASTER_KEY,
        "log_json": True,
        "log_level": "WARNING",
        "queue_poll_seconds": 0.05,
        "sqlite_synchronous": "NORMAL",
        "faq_semantic": False,  # tests that need the model turn it on
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("template")
    asyncio.run(migrate(base_settings(path)))
    return path / "frontdesk.db"


@pytest.fixture
def redis_url() -> str:
    """The Redis server of the scaled-shape tests (its database is theirs to flush), or skip."""
    if not REDIS_URL:
        pytest.skip("set FRONTDESK_TEST_REDIS_URL to test the Redis adapters")
    return REDIS_URL


@pytest.fixture(scope="session")
def postgres_migrated() -> str | None:
    if not POSTGRES_URL:
        return None

    async def reset() -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        settings = base_settings(Path("/tmp"), database_url=POSTGRES_URL)
        engine = create_async_engine(settings.db_url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
        await migrate(settings)

    asyncio.run(reset())
    return POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def settings(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_migrated: str | None,
) -> Iterator[Settings]:
    if request.param == "sqlite":
        shutil.copy(sqlite_template, tmp_path / "frontdesk.db")
        yield base_settings(tmp_path)
        return
    assert postgres_migrated
    yield base_settings(tmp_path, database_url=postgres_migrated)


async def _truncate(runtime: Runtime) -> None:
    if runtime.db.dialect != "postgresql":
        return
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    async with runtime.db.system_tx() as session:
        await session.execute(text(f"TRUNCATE {names} CASCADE"))


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    runtime: Runtime = application.state.runtime
    await _truncate(runtime)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@dataclass
class TenantCtx:
    id: str
    slug: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
async def tenant(runtime: Runtime) -> TenantCtx:
    tenant_id, key = await make_tenant(runtime.db, "acme", Role.ADMIN)
    return TenantCtx(tenant_id, "acme", key)


@pytest.fixture
async def other_tenant(runtime: Runtime) -> TenantCtx:
    tenant_id, key = await make_tenant(runtime.db, "globex", Role.ADMIN)
    return TenantCtx(tenant_id, "globex", key)


@pytest.fixture
async def live_url(settings: Settings) -> AsyncIterator[str]:
    """The app served by a real uvicorn on a free port, in this event loop."""
    import uvicorn

    from tests.local_server import listening_socket

    application = create_app(settings)
    await _truncate(application.state.runtime)
    sock = listening_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(application, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
