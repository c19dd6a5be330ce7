"""The ``frontdesk`` command line."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from frontdesk.knowledge.cli import kb_app
from frontdesk.settings import Settings

app = typer.Typer(help="Frontdesk: self-hosted AI customer service.", no_args_is_help=True)
tenant_app = typer.Typer(help="Manage tenants.", no_args_is_help=True)
apikey_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
dlq_app = typer.Typer(help="Inspect, replay and discard dead letters.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
app.add_typer(apikey_app, name="apikey")
app.add_typer(dlq_app, name="dlq")
app.add_typer(kb_app, name="kb")
err = Console(stderr=True)
T = TypeVar("T")


def _run(factory: Callable[[Settings], Coroutine[Any, Any, T]]) -> T:
    """Run a command's coroutine; a domain error becomes a one-line message and exit code 1."""
    from frontdesk.core.errors import FrontdeskError
    from frontdesk.core.logging import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    try:
        return asyncio.run(factory(settings))
    except FrontdeskError as e:
        err.print(f"[red]error:[/red] {e.detail}")
        raise typer.Exit(1) from None


async def _with_db(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from frontdesk.core.db import Database, create_null_pool_engine

    db = Database(create_null_pool_engine(settings))
    try:
        return await work(db)
    finally:
        await db.dispose()


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    from frontdesk.core.migrate import migrate as run_migrations

    _run(run_migrations)
    err.print("[green]database is up to date[/green]")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    no_workers: Annotated[
        bool, typer.Option("--no-workers", help="API only (scaled shape).")
    ] = False,
) -> None:
    """Migrate, then serve the API (and, unless --no-workers, the queue workers)."""
    import uvicorn

    from frontdesk.app import create_app
    from frontdesk.core.migrate import migrate as run_migrations

    _run(run_migrations)
    uvicorn.run(
        create_app(workers=not no_workers),
        host=host,
        port=port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
        timeout_graceful_shutdown=15,
    )


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(help="Jobs at once (default: settings).")
    ] = None,
) -> None:
    """Run queue workers without the API (scaled shape); stops gracefully on SIGTERM."""
    from frontdesk.runtime import Runtime

    async def main(settings: Settings) -> None:
        runtime = Runtime.create(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await runtime.run_background(stop, concurrency or settings.workers or 1)
        finally:
            await runtime.db.dispose()

    _run(main)


@app.command()
def demo() -> None:
    """Create (idempotently) the demo tenant and print a new admin API key, last."""
    from frontdesk.demo import seed_demo

    async def main(settings: Settings) -> str:
        tenant, key = await _with_db(settings, seed_demo)
        err.print(
            f"demo tenant [bold]{tenant.slug}[/bold] is ready; its web chat: "
            f"POST /api/v1/webchat/{tenant.slug}/sessions"
        )
        return key

    print(_run(main))


@tenant_app.command("create")
def tenant_create(
    slug: str,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Create a tenant with a web chat channel."""
    from frontdesk.channels.service import ensure_channel
    from frontdesk.tenants.service import create_tenant

    async def work(db: Any) -> str:
        async with db.system_session() as session:
            tenant = await create_tenant(session, slug, name)
        async with db.tenant_session(tenant.id) as session:
            await ensure_channel(session, tenant.id, "webchat", "Website chat")
            await session.commit()
        return str(tenant.id)

    print(_run(lambda s: _with_db(s, work)))


@apikey_app.command("create")
def apikey_create(
    tenant: Annotated[str, typer.Option(help="Tenant slug.")],
    role: Annotated[str, typer.Option(help="admin, config_manager, viewer, developer, agent.")],
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
) -> None:
    """Create an API key and print it (only this once) as the last line."""
    from frontdesk.core.auth import Role
    from frontdesk.tenants.service import create_api_key, tenant_by_slug

    try:
        parsed = Role(role)
    except ValueError:
        raise typer.BadParameter(f"unknown role {role!r}") from None

    async def work(db: Any) -> str:
        async with db.system_session() as session:
            row = await tenant_by_slug(session, tenant)
            _, key = await create_api_key(session, row.id, parsed, name)
        return key

    print(_run(lambda s: _with_db(s, work)))


def _dead_letters(work: Callable[[Any], Awaitable[T]]) -> T:
    from frontdesk.queue.sql import DeadLetters

    async def run(db: Any) -> T:
        async with db.system_session() as session:
            result = await work(DeadLetters(session, None))
            await session.commit()
            return result

    return _run(lambda s: _with_db(s, run))


@dlq_app.command("list")
def dlq_list(limit: int = 50, kind: str | None = None) -> None:
    """List dead letters, newest first."""
    rows = _dead_letters(lambda d: d.list(limit, 0, kind))
    table = Table("id", "tenant", "kind", "attempts", "finished", "last error")
    for job in rows:
        table.add_row(
            job.id,
            job.tenant_id or "-",
            job.kind,
            str(job.attempts),
            str(job.finished_at),
            (job.last_error or "")[:80],
        )
    Console().print(table)


@dlq_app.command("show")
def dlq_show(job_id: str) -> None:
    """Show one dead letter with its payload and last error."""
    job = _dead_letters(lambda d: d.get(job_id))
    Console().print_json(
        data={
            "id": job.id,
            "tenant_id": job.tenant_id,
            "kind": job.kind,
            "attempts": job.attempts,
            "payload": job.payload,
            "last_error": job.last_error,
        }
    )


@dlq_app.command("replay")
def dlq_replay(job_id: str) -> None:
    """Queue a dead letter again."""
    _dead_letters(lambda d: d.replay(job_id))
    err.print(f"replayed {job_id}")


@dlq_app.command("discard")
def dlq_discard(job_id: str) -> None:
    """Delete a dead letter."""
    _dead_letters(lambda d: d.discard(job_id))
    err.print(f"discarded {job_id}")
