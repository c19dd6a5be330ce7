"""Ingestion as queue jobs: status, progress and per-document errors, resumable after a crash.

A job row (``kb_ingest_jobs``) describes what to ingest; a queue job runs it. Each document is
stored in its own transaction together with the job's progress (the source is marked processed
in the same commit), so a job that restarts after a crash skips what it already did, and a failed
document leaves nothing behind while the others continue.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.clock import utcnow
from frontdesk.core.crypto import DecryptionError
from frontdesk.core.db import after_commit
from frontdesk.core.errors import FrontdeskError, NotFound, ValidationFailed
from frontdesk.core.http import check_url
from frontdesk.core.logging import get_logger
from frontdesk.knowledge import documents
from frontdesk.knowledge.ingest import files, web
from frontdesk.knowledge.ingest.base import IngestError
from frontdesk.knowledge.ingest.json_api import ApiSource, records
from frontdesk.knowledge.ingest.sources import Outcome, limits_of
from frontdesk.knowledge.models import KbDocument, KbIngestJob, KbNamespace
from frontdesk.queue.base import ClaimedJob, NewJob, PermanentJobError
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.vault import tokens
from frontdesk.vault.errors import CredentialNotFound, CredentialUnavailable
from frontdesk.vault.service import Vault

INGEST = "kb.ingest"
KB_SERVICE = "knowledge.ingest"  # the vault service JSON API sources decrypt their credential for
log = get_logger("frontdesk.knowledge.jobs")


class DocumentOptions(BaseModel):
    """Fields applied to every document a job ingests."""

    model_config = ConfigDict(extra="forbid")

    entity: str | None = Field(default=None, max_length=200)
    metadata: dict[str, str | int | float | bool] = Field(default_factory=dict, max_length=20)


class UrlSpec(DocumentOptions):
    """A web page, optionally crawled within its site."""

    type: Literal["url"] = "url"
    url: str = Field(min_length=8, max_length=2000)
    crawl: bool = False
    depth: int = Field(default=1, ge=0, le=5)
    max_pages: int = Field(default=20, ge=1, le=1000)


class ApiSpec(DocumentOptions):
    """A JSON API."""

    type: Literal["api"] = "api"
    api: ApiSource


class UploadSpec(DocumentOptions):
    """Files uploaded into the data directory (or given to the CLI)."""

    type: Literal["files"] = "files"
    paths: list[str] = Field(min_length=1)
    root: str


class FolderSpec(DocumentOptions):
    """A folder on the server."""

    type: Literal["folder"] = "folder"
    path: str = Field(min_length=1, max_length=1000)
    recursive: bool = True


SourceSpec = UrlSpec | ApiSpec | UploadSpec | FolderSpec


class _Spec(BaseModel):
    spec: SourceSpec = Field(discriminator="type")


async def create_job(
    runtime: Runtime, namespace: KbNamespace, spec: SourceSpec, total: int = 0
) -> KbIngestJob:
    """Record a job and enqueue it (one transaction); workers wake at once."""
    job = KbIngestJob(
        tenant_id=namespace.tenant_id,
        namespace_id=namespace.id,
        kind=spec.type,
        spec=spec.model_dump(mode="json"),
        status="queued",
        total=total,
        done=0,
        failed=0,
        chunks=0,
        errors=[],
        processed=[],
        document_ids=[],
    )
    async with runtime.db.tenant_tx(namespace.tenant_id) as session:
        session.add(job)
        await session.flush()
        await runtime.queue.enqueue(
            session,
            NewJob(
                kind=INGEST,
                tenant_id=namespace.tenant_id,
                payload={"ingest_job_id": job.id},
                ordering_key=f"kb:{namespace.id}",
                max_attempts=3,
            ),
        )
        after_commit(session, runtime.wake_workers)
    return job


async def list_jobs(
    session: AsyncSession, tenant_id: str, status: str | None = None, limit: int = 50
) -> list[KbIngestJob]:
    """The tenant's ingestion jobs, newest first."""
    stmt = select(KbIngestJob).where(KbIngestJob.tenant_id == tenant_id)
    if status:
        stmt = stmt.where(KbIngestJob.status == status)
    return list((await session.scalars(stmt.order_by(KbIngestJob.id.desc()).limit(limit))).all())


async def get_job(session: AsyncSession, tenant_id: str, job_id: str) -> KbIngestJob:
    """One job of the tenant, or :class:`NotFound`."""
    job = await session.scalar(
        select(KbIngestJob).where(KbIngestJob.tenant_id == tenant_id, KbIngestJob.id == job_id)
    )
    if job is None:
        raise NotFound("No such ingestion job")
    return job


async def check_source_url(settings: Settings, url: str) -> None:
    """Refuse a URL that the SSRF guard would refuse, before a job is created."""
    await check_url(settings, url)


def check_folder(settings: Settings, path: str) -> None:
    """Allow only folders inside ``FRONTDESK_KB_FOLDER_ROOTS`` (none by default)."""
    target = Path(path).resolve()
    roots = [Path(r).resolve() for r in settings.kb_folder_roots]
    if not any(target == root or root in target.parents for root in roots):
        raise ValidationFailed(f"{path}: not inside an allowed folder (FRONTDESK_KB_FOLDER_ROOTS)")
    if not target.is_dir():
        raise ValidationFailed(f"{path}: no such folder")


async def check_credential(runtime: Runtime, tenant_id: str, credential_id: str | None) -> None:
    """Refuse a source whose vault credential is missing, revoked or archived (404, 409)."""
    if credential_id:
        async with runtime.db.tenant_session(tenant_id) as session:
            await Vault.of(runtime).usable(session, tenant_id, credential_id)


async def _api_auth(
    runtime: Runtime, tenant_id: str, spec: ApiSource, job_id: str
) -> dict[str, str]:
    """The request headers of the source's vault credential, through the vault's audited reveal."""
    if not spec.credential_id:
        return {}
    vault = Vault.of(runtime)
    reason = f"ingestion job {job_id}"
    try:
        secret = await tokens.reveal(vault, tenant_id, spec.credential_id, KB_SERVICE, reason)
    except (CredentialNotFound, CredentialUnavailable, DecryptionError) as exc:
        raise IngestError(f"credential {spec.credential_id}: {exc.detail}") from None
    return secret.value.request_headers()


def _outcomes(
    runtime: Runtime, spec: SourceSpec, auth: dict[str, str] | None = None
) -> AsyncIterator[Outcome]:
    settings = runtime.settings
    limits = limits_of(settings)
    cap = settings.kb_max_upload_bytes
    if isinstance(spec, UrlSpec):
        depth = min(spec.depth, settings.kb_crawl_max_depth) if spec.crawl else 0
        pages = min(spec.max_pages, settings.kb_crawl_max_pages) if spec.crawl else 1
        return web.crawl(settings, spec.url, limits, depth=depth, max_pages=pages, max_bytes=cap)
    if isinstance(spec, ApiSpec):
        return records(settings, spec.api, auth)
    if isinstance(spec, FolderSpec):
        return files.from_folder(Path(spec.path), limits, cap, spec.recursive)
    return _uploaded(Path(spec.root), spec.paths, limits, cap)


async def _uploaded(root: Path, paths: list[str], limits: Any, cap: int) -> AsyncIterator[Outcome]:
    for name in paths:
        yield await files.from_file(root / name, name, limits, cap)


async def _progress(runtime: Runtime, job_id: str, tenant_id: str, **changes: Any) -> None:
    async with runtime.db.tenant_tx(tenant_id) as session:
        await session.execute(
            update(KbIngestJob)
            .where(KbIngestJob.id == job_id)
            .values(updated_at=utcnow(), **changes)
        )


class _Run:
    """The mutable state of one job run, written back after each document."""

    def __init__(self, row: KbIngestJob, options: DocumentOptions) -> None:
        self.row = row
        self.options = options
        self.processed = list(row.processed)
        self.errors = list(row.errors)
        self.document_ids = list(row.document_ids)
        self.done, self.failed, self.chunks = row.done, row.failed, row.chunks

    def values(self) -> dict[str, Any]:
        return {
            "processed": self.processed,
            "errors": self.errors[-200:],
            "document_ids": self.document_ids[-10_000:],
            "done": self.done,
            "failed": self.failed,
            "chunks": self.chunks,
            "total": max(self.row.total, len(self.processed)),
        }

    def fail(self, source: str, error: str) -> None:
        self.processed.append(source)
        self.errors.append({"source": source, "error": error[:1000]})
        self.failed += 1


async def run_ingest(runtime: Runtime, _session: AsyncSession, job: ClaimedJob) -> None:
    """The ``kb.ingest`` queue handler (uses its own transactions, one per document)."""
    tenant_id = str(job.tenant_id)
    async with runtime.db.tenant_session(tenant_id) as session:
        row = await session.get(KbIngestJob, job.payload.get("ingest_job_id"))
        namespace = await session.get(KbNamespace, row.namespace_id) if row else None
    if row is None or namespace is None or row.tenant_id != tenant_id:
        raise PermanentJobError("ingestion job or namespace not found")
    if row.status in ("done", "failed", "partial"):
        return
    spec = _Spec.model_validate({"spec": row.spec}).spec
    await _progress(runtime, row.id, tenant_id, status="running")
    run = _Run(row, spec)
    try:
        await _ingest_all(runtime, namespace, spec, run)
    except IngestError as exc:  # the source as a whole failed (unreachable API, bad folder...)
        run.fail(row.spec.get("url") or row.kind, exc.detail)
    status = "done" if run.failed == 0 else ("failed" if run.done == 0 else "partial")
    await _progress(runtime, row.id, tenant_id, status=status, finished_at=utcnow(), **run.values())
    if isinstance(spec, UploadSpec):
        shutil.rmtree(spec.root, ignore_errors=True)
    log.info("kb_ingest_finished", job=row.id, status=status, done=run.done, failed=run.failed)


async def _ingest_all(
    runtime: Runtime, namespace: KbNamespace, spec: SourceSpec, run: _Run
) -> None:
    if isinstance(spec, FolderSpec) and not await asyncio.to_thread(Path(spec.path).is_dir):
        raise IngestError(f"{spec.path}: no such folder")
    seen = set(run.processed)
    auth = None
    if isinstance(spec, ApiSpec):
        auth = await _api_auth(runtime, namespace.tenant_id, spec.api, run.row.id)
    async for outcome in _outcomes(runtime, spec, auth):
        if outcome.source in seen:
            continue
        seen.add(outcome.source)
        if outcome.document is None:
            run.fail(outcome.source, outcome.error or "failed")
            await _progress(runtime, run.row.id, namespace.tenant_id, **run.values())
            continue
        doc = outcome.document
        doc.entity = spec.entity or doc.entity
        doc.meta = {**doc.meta, **spec.metadata}

        async def record(
            session: AsyncSession, stored: list[KbDocument], source: str = doc.source
        ) -> None:
            # Progress as it will be once this document is in, committed with it.
            ahead = run.values() | {
                "processed": [*run.processed, source],
                "done": run.done + 1,
                "chunks": run.chunks + stored[0].chunk_count,
                "document_ids": [*run.document_ids, stored[0].id][-10_000:],
            }
            ahead["total"] = max(run.row.total, len(ahead["processed"]))
            await session.execute(
                update(KbIngestJob)
                .where(KbIngestJob.id == run.row.id)
                .values(updated_at=utcnow(), **ahead)
            )

        try:
            document = await documents.store_document(
                runtime.db, runtime.kb, namespace, doc, also=record
            )
        except FrontdeskError as exc:
            run.fail(outcome.source, exc.detail)
            await _progress(runtime, run.row.id, namespace.tenant_id, **run.values())
            continue
        run.processed.append(doc.source)
        run.done += 1
        run.chunks += document.chunk_count
        run.document_ids.append(document.id)
