"""Ingestion jobs: resumable after a crash, per-document failures, nothing partial indexed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from frontdesk.knowledge import documents, jobs
from frontdesk.knowledge.models import KbChunk, KbIngestJob
from frontdesk.queue.base import ClaimedJob
from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx


def claimed(tenant_id: str, job_id: str) -> ClaimedJob:
    return ClaimedJob(
        id="q", kind=jobs.INGEST, payload={"ingest_job_id": job_id}, tenant_id=tenant_id,
        ordering_key=None, attempts=1, max_attempts=3, lease_token="t", correlation_id=None,
    )  # fmt: skip


async def test_a_restarted_job_skips_what_it_already_did(
    runtime: Runtime, tenant: TenantCtx, tmp_path: Path
):
    root = tmp_path / "upload"
    root.mkdir()
    for name in ("a.txt", "b.txt", "blank.txt"):
        (root / name).write_text("   " if name == "blank.txt" else f"Text of {name}.")
    ns = await documents.create_namespace(runtime.db, tenant.id, "docs")
    spec = jobs.UploadSpec(paths=["a.txt", "b.txt", "blank.txt"], root=str(root))
    row = KbIngestJob(  # as if a crash followed "a.txt" (not enqueued: this test runs it)
        tenant_id=tenant.id, namespace_id=ns.id, kind="files", spec=spec.model_dump(),
        status="running", total=3, done=1, failed=0, chunks=1, errors=[], processed=["a.txt"],
        document_ids=[],
    )  # fmt: skip
    async with runtime.db.tenant_tx(tenant.id) as session:
        session.add(row)

    async with runtime.db.tenant_session(tenant.id) as session:
        await jobs.run_ingest(runtime, session, claimed(tenant.id, row.id))

    async with runtime.db.tenant_session(tenant.id) as session:
        job = await session.get(KbIngestJob, row.id)
        docs = await documents.list_documents(session, tenant.id, ns.id)
        chunks = await session.scalar(select(func.count()).select_from(KbChunk))
    assert job is not None
    assert job.status == "partial" and job.done == 2 and job.failed == 1
    assert job.processed == ["a.txt", "b.txt", "blank.txt"]
    assert job.errors[0]["source"] == "blank.txt" and "No text" in job.errors[0]["error"]
    assert [d.source for d in docs] == ["b.txt"]  # a.txt was done before the "crash"
    assert chunks == 1
    assert not root.exists()  # uploads are removed once the job finished
