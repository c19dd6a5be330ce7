"""Knowledge-base routes: namespaces, documents, uploads, sources, jobs, query and answers."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from frontdesk.core.auth import Principal
from frontdesk.core.deps import RuntimeDep, SessionDep, require
from frontdesk.core.errors import PayloadTooLarge, ValidationFailed
from frontdesk.core.ids import new_id
from frontdesk.knowledge import answers, documents, jobs, search
from frontdesk.knowledge.chunking import Extracted, Section
from frontdesk.knowledge.ingest.registry import parser_for
from frontdesk.knowledge.ingest.sources import limits_of
from frontdesk.knowledge.ingest.text import markdown_sections
from frontdesk.knowledge.ingest.webpage import parse as parse_html
from frontdesk.knowledge.schemas import (
    ChunkPublic,
    DocumentCreate,
    DocumentPublic,
    IngestJobPublic,
    NamespaceCreate,
    NamespacePublic,
    NamespaceUpdate,
    QueryRequest,
    QueryResponse,
)
from frontdesk.llm.generator import TenantGenerator

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])
Reader = Annotated[Principal, Depends(require("knowledge:read"))]
Writer = Annotated[Principal, Depends(require("knowledge:write"))]
UPLOAD_PATH = re.compile(r"^/api/v1/knowledge/namespaces/[^/]+/files$")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class SourceRequest(BaseModel):
    """A URL, JSON API or server folder to ingest."""

    source: jobs.UrlSpec | jobs.ApiSpec | jobs.FolderSpec = Field(discriminator="type")


@router.get("/namespaces", response_model=list[NamespacePublic])
async def list_namespaces(session: SessionDep, principal: Reader) -> list[object]:
    """The tenant's namespaces."""
    return list(await documents.list_namespaces(session, principal.tenant_id))


@router.post("/namespaces", response_model=NamespacePublic, status_code=201)
async def create_namespace(data: NamespaceCreate, principal: Writer, runtime: RuntimeDep) -> object:
    """Create a namespace with its chunking strategy."""
    return await documents.create_namespace(
        runtime.db, principal.tenant_id, data.name, data.description, data.chunking
    )


@router.get("/namespaces/{namespace}", response_model=NamespacePublic)
async def get_namespace(namespace: str, session: SessionDep, principal: Reader) -> object:
    """One namespace."""
    return await documents.get_namespace(session, principal.tenant_id, namespace)


@router.patch("/namespaces/{namespace}", response_model=NamespacePublic)
async def update_namespace(
    namespace: str, data: NamespaceUpdate, principal: Writer, runtime: RuntimeDep
) -> object:
    """Change a namespace's description or chunking."""
    return await documents.update_namespace(
        runtime.db, principal.tenant_id, namespace, data.description, data.chunking
    )


@router.delete("/namespaces/{namespace}", status_code=204)
async def delete_namespace(namespace: str, principal: Writer, runtime: RuntimeDep) -> Response:
    """Delete a namespace and everything in it."""
    await documents.delete_namespace(runtime.db, runtime.kb, principal.tenant_id, namespace)
    return Response(status_code=204)


@router.get("/namespaces/{namespace}/documents", response_model=list[DocumentPublic])
async def list_documents(
    namespace: str,
    session: SessionDep,
    principal: Reader,
    document_type: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[object]:
    """A namespace's documents, newest first."""
    ns = await documents.get_namespace(session, principal.tenant_id, namespace)
    return list(
        await documents.list_documents(
            session, principal.tenant_id, ns.id, doc_type=document_type, limit=limit, offset=offset
        )
    )


@router.post("/namespaces/{namespace}/documents", response_model=DocumentPublic, status_code=201)
async def create_document(
    namespace: str,
    data: DocumentCreate,
    session: SessionDep,
    principal: Writer,
    runtime: RuntimeDep,
) -> object:
    """Add (or replace, by ``source``) a document given as text; indexed before the answer."""
    ns = await documents.get_namespace(session, principal.tenant_id, namespace)
    await session.close()
    if data.format == "html":
        extracted = await asyncio.to_thread(
            parse_html, data.text.encode(), data.source, limits_of(runtime.settings)
        )
    elif data.format == "md":
        heading, sections = markdown_sections(data.text)
        extracted = Extracted(title=heading, sections=sections)
    else:
        extracted = Extracted(title="", sections=[Section(text=data.text)])
    doc = documents.DocumentInput(
        source=data.source,
        doc_type=data.format,
        extracted=extracted,
        title=data.title,
        url=data.url,
        entity=data.entity,
        doc_date=data.date,
        meta=dict(data.metadata),
    )
    return await documents.store_document(runtime.db, runtime.kb, ns, doc)


@router.post("/namespaces/{namespace}/files", response_model=IngestJobPublic, status_code=202)
async def upload_file(
    namespace: str,
    request: Request,
    session: SessionDep,
    principal: Writer,
    runtime: RuntimeDep,
    filename: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    entity: Annotated[str | None, Query(max_length=200)] = None,
) -> object:
    """Upload one file as the raw body (streamed; refused past the limit) and ingest it.

    The format comes from ``filename``'s extension, else from the ``Content-Type`` header.
    """
    ns = await documents.get_namespace(session, principal.tenant_id, namespace)
    await session.close()
    name = _SAFE_NAME.sub("_", (filename or "upload").rsplit("/", 1)[-1]).lstrip(".") or "upload"
    doc_type, _ = parser_for(name, request.headers.get("content-type"))  # unsupported: 422 now
    if "." not in name:
        name = f"{name}.{doc_type}"
    root = runtime.settings.data_dir / "kb_uploads" / principal.tenant_id / new_id()
    await _receive(request, root / name, runtime.settings.kb_max_upload_bytes)
    spec = jobs.UploadSpec(paths=[name], root=str(root), entity=entity)
    return await jobs.create_job(runtime, ns, spec, total=1)


async def _receive(request: Request, path: Path, limit: int) -> None:
    target = anyio.Path(path)
    await target.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    try:
        async with await anyio.open_file(path, "wb") as out:
            async for part in request.stream():
                size += len(part)
                if size > limit:
                    raise PayloadTooLarge(f"The file is over the limit of {limit} bytes")
                await out.write(part)
    except BaseException:
        await target.unlink(missing_ok=True)
        raise
    if size == 0:
        await target.unlink(missing_ok=True)
        raise ValidationFailed("The uploaded file is empty")


@router.post("/namespaces/{namespace}/sources", response_model=IngestJobPublic, status_code=202)
async def add_source(
    namespace: str, data: SourceRequest, session: SessionDep, principal: Writer, runtime: RuntimeDep
) -> object:
    """Ingest a URL (optionally crawled), a JSON API or a server folder, as a job."""
    ns = await documents.get_namespace(session, principal.tenant_id, namespace)
    await session.close()
    spec = data.source
    if isinstance(spec, jobs.UrlSpec):
        await jobs.check_source_url(runtime.settings, spec.url)
    elif isinstance(spec, jobs.ApiSpec):
        await jobs.check_source_url(runtime.settings, spec.api.url)
        await jobs.check_credential(runtime, principal.tenant_id, spec.api.credential_id)
    else:
        jobs.check_folder(runtime.settings, spec.path)
    return await jobs.create_job(runtime, ns, spec)


@router.get("/documents/{document_id}", response_model=DocumentPublic)
async def get_document(document_id: str, session: SessionDep, principal: Reader) -> object:
    """One document."""
    return await documents.get_document(session, principal.tenant_id, document_id)


@router.get("/documents/{document_id}/chunks", response_model=list[ChunkPublic])
async def get_chunks(document_id: str, session: SessionDep, principal: Reader) -> list[object]:
    """A document's chunks in order."""
    await documents.get_document(session, principal.tenant_id, document_id)
    return list(await documents.document_chunks(session, principal.tenant_id, document_id))


@router.delete("/documents/{document_id}", status_code=204)
async def delete_document(document_id: str, principal: Writer, runtime: RuntimeDep) -> Response:
    """Delete a document with its chunks."""
    await documents.delete_document(runtime.db, runtime.kb, principal.tenant_id, document_id)
    return Response(status_code=204)


@router.get("/jobs", response_model=list[IngestJobPublic])
async def list_jobs(
    session: SessionDep,
    principal: Reader,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[object]:
    """Ingestion jobs, newest first."""
    return list(await jobs.list_jobs(session, principal.tenant_id, status, limit))


@router.get("/jobs/{ingest_job_id}", response_model=IngestJobPublic)
async def get_job(ingest_job_id: str, session: SessionDep, principal: Reader) -> object:
    """One ingestion job's status and progress."""
    return await jobs.get_job(session, principal.tenant_id, ingest_job_id)


@router.post("/query", response_model=QueryResponse)
async def query(
    body: QueryRequest, session: SessionDep, principal: Reader, runtime: RuntimeDep
) -> QueryResponse:
    """Hybrid search with filters, entity tracking and scores."""
    return await search.search(session, runtime.kb, principal.tenant_id, body)


@router.post("/answer", response_model=answers.Answer)
async def answer(
    body: QueryRequest, session: SessionDep, principal: Reader, runtime: RuntimeDep
) -> answers.Answer:
    """An answer with numbered citations (extractive until an LLM is configured)."""
    generator = TenantGenerator(runtime.llm, principal.tenant_id)
    return await answers.answer(session, runtime.kb, principal.tenant_id, body, generator)
