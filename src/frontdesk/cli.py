"""The ``frontdesk`` command line."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from frontdesk.core import heap
from frontdesk.knowledge.cli import kb_app
from frontdesk.settings import Settings

app = typer.Typer(help="Frontdesk: self-hosted AI customer service.", no_args_is_help=True)
tenant_app = typer.Typer(help="Manage tenants.", no_args_is_help=True)
apikey_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
dlq_app = typer.Typer(help="Inspect, replay and discard dead letters.", no_args_is_help=True)
member_app = typer.Typer(help="Manage console members.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
app.add_typer(apikey_app, name="apikey")
vault_app = typer.Typer(help="Credential vault administration.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
app.add_typer(member_app, name="member")
app.add_typer(vault_app, name="vault")
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
    heap.manage()
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

    heap.manage()

    async def main(settings: Settings) -> None:
        settings = settings.model_copy(update={"workers": concurrency or settings.workers or 1})
        runtime = Runtime.create(settings)
        heap.settle()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await runtime.run_background(stop, settings.workers)
        finally:
            await runtime.channels.aclose()
            await runtime.db.dispose()

    _run(main)


@app.command()
def demo() -> None:
    """Create (idempotently) the demo tenant and print a new admin API key, last."""
    from frontdesk.demo import ADMIN_EMAIL, ADMIN_PASSWORD, seed_demo

    async def main(settings: Settings) -> str:
        tenant, key = await _with_db(settings, seed_demo)
        err.print(
            f"demo tenant [bold]{tenant.slug}[/bold] is ready; its web chat: "
            f"POST /api/v1/webchat/{tenant.slug}/sessions"
        )
        err.print(
            f"console login at /: tenant [bold]{tenant.slug}[/bold], e-mail "
            f"[bold]{ADMIN_EMAIL}[/bold], password [bold]{ADMIN_PASSWORD}[/bold]"
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


@member_app.command("set-password")
def member_set_password(
    tenant: Annotated[str, typer.Option(help="Tenant slug.")],
    email: Annotated[str, typer.Option(help="The member's e-mail.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    role: Annotated[
        str | None, typer.Option(help="Create the member with this role if it is missing.")
    ] = None,
) -> None:
    """Set a member's console password (ends their open sessions)."""
    from sqlalchemy import select

    from frontdesk.core.auth import Role
    from frontdesk.login.passwords import check_strength
    from frontdesk.login.service import set_password
    from frontdesk.tenants.models import Member
    from frontdesk.tenants.schemas import MemberCreate
    from frontdesk.tenants.service import create_member, tenant_by_slug

    try:
        parsed = Role(role) if role else None
    except ValueError:
        raise typer.BadParameter(f"unknown role {role!r}") from None

    async def work(db: Any) -> str:
        check_strength(password)  # before a member is created for it
        async with db.system_session() as session:
            row = await tenant_by_slug(session, tenant)
            member = await session.scalar(
                select(Member).where(Member.tenant_id == row.id, Member.email == email.lower())
            )
            if member is None and parsed is None:
                err.print(f"[red]error:[/red] no member {email!r}; pass --role to create one")
                raise typer.Exit(1)
            if member is None:
                assert parsed is not None
                member = await create_member(
                    session, row.id, MemberCreate(email=email, role=parsed)
                )
        await set_password(db, row.id, member.id, password)
        return str(member.id)

    print(_run(lambda s: _with_db(s, work)))


@member_app.command("reset-mfa")
def member_reset_mfa(
    tenant: Annotated[str, typer.Option(help="Tenant slug.")],
    email: Annotated[str, typer.Option(help="The member's e-mail.")],
) -> None:
    """Turn a member's MFA off (lost authenticator and recovery codes); logged as mfa_reset."""
    from sqlalchemy import select

    from frontdesk.core.errors import NotFound
    from frontdesk.login.service import reset_mfa
    from frontdesk.tenants.models import Member
    from frontdesk.tenants.service import tenant_by_slug

    async def work(db: Any) -> str:
        async with db.system_session() as session:
            row = await tenant_by_slug(session, tenant)
            member_id = await session.scalar(
                select(Member.id).where(Member.tenant_id == row.id, Member.email == email.lower())
            )
        if member_id is None:
            raise NotFound(f"No member {email!r} in tenant {tenant!r}")
        await reset_mfa(db, row.id, member_id, {"by": "cli"})
        return str(member_id)

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


@vault_app.command("rotate-master-key")
def vault_rotate_master_key(
    generate: Annotated[
        bool,
        typer.Option(
            "--generate",
            help="Embedded shape: move master.key to master.key.previous and write a new key.",
        ),
    ] = False,
) -> None:
    """Re-wrap every tenant data key under the current master key (no downtime).

    Run it once every process holds the new key as FRONTDESK_MASTER_KEY and the old one as
    FRONTDESK_MASTER_KEY_PREVIOUS (or, with --generate, in the data dir); then drop the old key.
    """
    from frontdesk.core.crypto import KeyRing, load_master_key, load_previous_master_key
    from frontdesk.vault.masterkey import generate_into, rewrap

    async def main(settings: Settings) -> int:
        if generate:
            if settings.master_key is not None:
                raise typer.BadParameter(
                    "--generate is for a key file; FRONTDESK_MASTER_KEY is set"
                )
            load_master_key(None, settings.data_dir)
            generate_into(settings.data_dir)
        master = settings.master_key.get_secret_value() if settings.master_key else None
        old_text = settings.master_key_previous
        previous = load_previous_master_key(
            old_text.get_secret_value() if old_text else None, settings.data_dir
        )
        if previous is None:
            raise typer.BadParameter(
                "set FRONTDESK_MASTER_KEY_PREVIOUS to the old key (or use --generate)"
            )
        current = KeyRing(load_master_key(master, settings.data_dir))
        return await _with_db(settings, lambda db: rewrap(db, current, [KeyRing(previous)]))

    count = _run(main)
    err.print(f"re-wrapped {count} data keys under the current master key")
