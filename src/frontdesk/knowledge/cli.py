"""``frontdesk kb``: ingest files, folders and URLs with a progress bar; list; query."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from frontdesk.settings import Settings

kb_app = typer.Typer(help="Load and search the knowledge base.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
TenantOpt = Annotated[str, typer.Option("--tenant", help="Tenant slug.")]
NamespaceOpt = Annotated[str, typer.Option("--namespace", "-n", help="Namespace (created if new).")]


async def _open(settings: Settings, slug: str) -> tuple[Any, Any, str]:
    from frontdesk.core.db import Database, create_null_pool_engine
    from frontdesk.knowledge.index import KnowledgeBase
    from frontdesk.tenants.service import tenant_by_slug

    db = Database(create_null_pool_engine(settings))
    async with db.system_session() as session:
        tenant = await tenant_by_slug(session, slug)
    return db, KnowledgeBase(settings), str(tenant.id)


def _outcomes(settings: Settings, target: str, crawl: bool, depth: int, pages: int) -> Any:
    from frontdesk.knowledge.ingest import files, web
    from frontdesk.knowledge.ingest.sources import limits_of

    limits = limits_of(settings)
    cap = settings.kb_max_upload_bytes
    if target.startswith(("http://", "https://")):
        return web.crawl(
            settings, target, limits, depth=depth if crawl else 0,
            max_pages=pages if crawl else 1, max_bytes=cap,
        )  # fmt: skip
    path = Path(target)
    if path.is_dir():
        return files.from_folder(path, limits, cap, recursive=True)
    if not path.is_file():
        raise typer.BadParameter(f"{target}: no such file, folder or URL")

    async def one() -> AsyncIterator[Any]:
        yield await files.from_file(path, path.name, limits, cap)

    return one()


async def _ingest(
    settings: Settings, slug: str, namespace: str, target: str, entity: str | None,
    crawl: bool, depth: int, pages: int, total: int | None,
) -> tuple[int, int, int]:  # fmt: skip
    from frontdesk.core.errors import FrontdeskError
    from frontdesk.knowledge import documents

    db, kb, tenant_id = await _open(settings, slug)
    done = failed = chunks = 0
    try:
        ns = await documents.ensure_namespace(db, tenant_id, namespace)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())  # fmt: skip
        with Progress(*columns, console=err) as progress:
            task = progress.add_task("ingesting", total=total)
            async for outcome in _outcomes(settings, target, crawl, depth, pages):
                progress.update(task, description=outcome.source[-60:])
                error = outcome.error
                if outcome.document is not None:
                    outcome.document.entity = entity or outcome.document.entity
                    try:
                        stored = await documents.store_document(db, kb, ns, outcome.document)
                        done, chunks = done + 1, chunks + stored.chunk_count
                    except FrontdeskError as exc:
                        error = exc.detail
                if error:
                    failed += 1
                    progress.console.print(f"[red]failed[/red] {outcome.source}: {error}")
                progress.advance(task)
    finally:
        await db.dispose()
    return done, failed, chunks


@kb_app.command("ingest")
def ingest(
    target: Annotated[str, typer.Argument(help="A file, a folder or an http(s) URL.")],
    tenant: TenantOpt,
    namespace: NamespaceOpt = "default",
    entity: Annotated[str | None, typer.Option(help="Entity every document is about.")] = None,
    crawl: Annotated[bool, typer.Option(help="Follow same-site links from the URL.")] = False,
    depth: Annotated[int, typer.Option(min=0, max=5, help="Crawl depth.")] = 1,
    max_pages: Annotated[int, typer.Option(min=1, max=1000, help="Crawl page limit.")] = 20,
) -> None:
    """Ingest documents now (in this process), with a progress bar."""
    from frontdesk.cli import _run
    from frontdesk.knowledge.ingest.files import folder_files

    path = Path(target)
    total = len(folder_files(path)) if path.is_dir() else (None if crawl else 1)

    async def main(settings: Settings) -> tuple[int, int, int]:
        return await _ingest(
            settings, tenant, namespace, target, entity, crawl, depth, max_pages, total
        )

    done, failed, chunks = _run(main)
    out.print(f"{done} documents ingested ({chunks} chunks), {failed} failed")
    if failed and not done:
        raise typer.Exit(1)


@kb_app.command("query")
def query(
    text: str,
    tenant: TenantOpt,
    namespace: NamespaceOpt = "default",
    top_k: Annotated[int, typer.Option(min=1, max=50)] = 5,
) -> None:
    """Search a namespace and print the results with their scores."""
    from frontdesk.cli import _run
    from frontdesk.knowledge import search
    from frontdesk.knowledge.schemas import QueryRequest, QueryResponse

    async def main(settings: Settings) -> QueryResponse:
        db, kb, tenant_id = await _open(settings, tenant)
        try:
            async with db.tenant_session(tenant_id) as session:
                request = QueryRequest(query=text, namespace=namespace, top_k=top_k)
                return await search.search(session, kb, tenant_id, request)
        finally:
            await db.dispose()

    response = _run(main)
    for hit in response.results:
        out.print(
            f"[bold]{hit.score:.3f}[/bold] {hit.metadata['title']} ({hit.metadata['source']})"
        )
        out.print(f"  {hit.content[:200]}")


@kb_app.command("namespaces")
def namespaces(tenant: TenantOpt) -> None:
    """List a tenant's namespaces."""
    from frontdesk.cli import _run
    from frontdesk.knowledge import documents

    async def main(settings: Settings) -> list[tuple[str, int]]:
        db, _, tenant_id = await _open(settings, tenant)
        try:
            async with db.tenant_session(tenant_id) as session:
                rows = await documents.list_namespaces(session, tenant_id)
                return [(n.name, n.version) for n in rows]
        finally:
            await db.dispose()

    for name, version in _run(main):
        out.print(f"{name}\tversion {version}")
