"""Namespaces and documents: create, list, delete, and store a document's chunks atomically.

Storing a document chunks and embeds it first (outside any transaction), then swaps its chunks in
one write transaction: the old chunks and vectors of the same source go and the new ones arrive
together with the namespace's version bump, so a search sees either the old document or the new
one, never a mixture or a half.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.db import Database
from frontdesk.core.errors import Conflict, NotFound, ValidationFailed
from frontdesk.core.ids import new_id
from frontdesk.knowledge.chunking import (
    ChunkDraft,
    ChunkingConfig,
    Extracted,
    chunk_document,
    indexed_text,
)
from frontdesk.knowledge.embeddings import Vectors
from frontdesk.knowledge.index import KnowledgeBase
from frontdesk.knowledge.models import KbChunk, KbDocument, KbNamespace
from frontdesk.knowledge.vectors import NamespaceRef

AlsoWrite = Callable[[AsyncSession, list[KbDocument]], Awaitable[None]]


class EmptyDocument(ValidationFailed):
    """A source held no text to index."""

    code, title = "empty_document", "Document has no text"


@dataclass
class DocumentInput:
    """A parsed source, ready to be chunked and stored."""

    source: str
    doc_type: str
    extracted: Extracted
    title: str = ""
    url: str | None = None
    entity: str | None = None
    doc_date: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def ref(namespace: KbNamespace) -> NamespaceRef:
    """The store reference of a namespace row."""
    return NamespaceRef(namespace.tenant_id, namespace.id, namespace.version)


async def get_namespace(session: AsyncSession, tenant_id: str, name: str) -> KbNamespace:
    """A namespace by name, or :class:`NotFound`."""
    namespace = await session.scalar(
        select(KbNamespace).where(KbNamespace.tenant_id == tenant_id, KbNamespace.name == name)
    )
    if namespace is None:
        raise NotFound(f"No knowledge namespace named {name!r}")
    return namespace


async def list_namespaces(session: AsyncSession, tenant_id: str) -> list[KbNamespace]:
    """The tenant's namespaces by name."""
    stmt = select(KbNamespace).where(KbNamespace.tenant_id == tenant_id).order_by(KbNamespace.name)
    return list((await session.scalars(stmt)).all())


async def create_namespace(
    db: Database,
    tenant_id: str,
    name: str,
    description: str = "",
    chunking: ChunkingConfig | None = None,
) -> KbNamespace:
    """A new namespace, or :class:`Conflict` when the name is taken."""
    namespace = KbNamespace(
        tenant_id=tenant_id,
        name=name,
        description=description,
        chunking=(chunking or ChunkingConfig()).model_dump(),
        version=0,
    )
    try:
        async with db.tenant_tx(tenant_id) as session:
            session.add(namespace)
    except IntegrityError as exc:
        raise Conflict(f"A namespace named {name!r} exists") from exc
    return namespace


async def ensure_namespace(db: Database, tenant_id: str, name: str) -> KbNamespace:
    """The namespace called ``name``, created with default chunking if missing."""
    async with db.tenant_session(tenant_id) as session:
        found = await session.scalar(
            select(KbNamespace).where(KbNamespace.tenant_id == tenant_id, KbNamespace.name == name)
        )
    if found is not None:
        return found
    try:
        return await create_namespace(db, tenant_id, name)
    except Conflict:
        async with db.tenant_session(tenant_id) as session:
            return await get_namespace(session, tenant_id, name)


async def update_namespace(
    db: Database,
    tenant_id: str,
    name: str,
    description: str | None,
    chunking: ChunkingConfig | None,
) -> KbNamespace:
    """Change a namespace's description or chunking (applies to later ingestions)."""
    async with db.tenant_tx(tenant_id) as session:
        namespace = await get_namespace(session, tenant_id, name)
        if description is not None:
            namespace.description = description
        if chunking is not None:
            namespace.chunking = chunking.model_dump()
    return namespace


async def delete_namespace(db: Database, kb: KnowledgeBase, tenant_id: str, name: str) -> None:
    """Remove a namespace with all its documents, chunks and vectors."""
    async with db.tenant_tx(tenant_id) as session:
        namespace = await get_namespace(session, tenant_id, name)
        chunk_ids = list(
            await session.scalars(select(KbChunk.id).where(KbChunk.namespace_id == namespace.id))
        )
        target = ref(namespace)
        await kb.store.delete(session, target, chunk_ids)
        await session.execute(delete(KbChunk).where(KbChunk.namespace_id == namespace.id))
        await session.execute(delete(KbDocument).where(KbDocument.namespace_id == namespace.id))
        await session.delete(namespace)
    await kb.store.purge(target, chunk_ids)


async def list_documents(
    session: AsyncSession,
    tenant_id: str,
    namespace_id: str,
    *,
    doc_type: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[KbDocument]:
    """A namespace's documents, newest first."""
    stmt = select(KbDocument).where(
        KbDocument.tenant_id == tenant_id, KbDocument.namespace_id == namespace_id
    )
    if doc_type:
        stmt = stmt.where(KbDocument.doc_type == doc_type)
    stmt = stmt.order_by(KbDocument.id.desc()).limit(limit).offset(offset)
    return list((await session.scalars(stmt)).all())


async def get_document(session: AsyncSession, tenant_id: str, document_id: str) -> KbDocument:
    """One document of the tenant, or :class:`NotFound`."""
    document = await session.scalar(
        select(KbDocument).where(KbDocument.tenant_id == tenant_id, KbDocument.id == document_id)
    )
    if document is None:
        raise NotFound("No such document")
    return document


async def document_chunks(session: AsyncSession, tenant_id: str, document_id: str) -> list[KbChunk]:
    """A document's chunks in order."""
    stmt = (
        select(KbChunk)
        .where(KbChunk.tenant_id == tenant_id, KbChunk.document_id == document_id)
        .order_by(KbChunk.position)
    )
    return list((await session.scalars(stmt)).all())


async def _bump(session: AsyncSession, namespace_id: str) -> None:
    await session.execute(
        update(KbNamespace)
        .where(KbNamespace.id == namespace_id)
        .values(version=KbNamespace.version + 1, updated_at=func.now())
    )


async def _drop_document(
    session: AsyncSession, kb: KnowledgeBase, target: NamespaceRef, document: KbDocument
) -> list[str]:
    chunk_ids = list(
        await session.scalars(select(KbChunk.id).where(KbChunk.document_id == document.id))
    )
    await kb.store.delete(session, target, chunk_ids)
    await session.execute(delete(KbChunk).where(KbChunk.document_id == document.id))
    await session.execute(delete(KbDocument).where(KbDocument.id == document.id))
    return chunk_ids


@dataclass
class _Prepared:
    doc: DocumentInput
    title: str
    drafts: list[ChunkDraft]
    ids: list[str]
    digest: str


async def _prepare(doc: DocumentInput, config: ChunkingConfig, kb: KnowledgeBase) -> _Prepared:
    title = doc.title or doc.extracted.title or doc.source
    drafts = await chunk_document(doc.extracted, config, kb.embedder.embed)
    if not drafts:
        raise EmptyDocument(f"No text found in {doc.source}")
    digest = hashlib.sha256("\n".join(d.text for d in drafts).encode()).hexdigest()
    return _Prepared(doc, title, drafts, [new_id() for _ in drafts], digest)


async def store_document(
    db: Database,
    kb: KnowledgeBase,
    namespace: KbNamespace,
    doc: DocumentInput,
    also: AlsoWrite | None = None,
) -> KbDocument:
    """Chunk, embed and index ``doc``, replacing the namespace's document of the same source."""
    return (await store_documents(db, kb, namespace, [doc], also))[0]


async def store_documents(
    db: Database,
    kb: KnowledgeBase,
    namespace: KbNamespace,
    docs: list[DocumentInput],
    also: AlsoWrite | None = None,
) -> list[KbDocument]:
    """Store several documents in one transaction (all or none); one embedding batch.

    ``also`` runs inside that transaction, after the documents are written (e.g. to record
    an ingestion job's progress atomically with them).
    """
    config = ChunkingConfig.model_validate(namespace.chunking or {})
    unique = list({doc.source: doc for doc in docs}.values())  # the last of a source wins
    prepared = [await _prepare(doc, config, kb) for doc in unique]
    texts = [indexed_text(p.title, d.text, d.meta) for p in prepared for d in p.drafts]
    vectors = await kb.embedder.embed(texts)
    ids = [chunk_id for p in prepared for chunk_id in p.ids]
    target = ref(namespace)
    await kb.store.stage(target, ids, vectors)
    try:
        stored, replaced = await _swap(db, kb, namespace, prepared, vectors, also)
    except BaseException:
        await kb.store.purge(target, ids)
        raise
    await kb.store.purge(target, replaced)
    return stored


async def _swap(
    db: Database,
    kb: KnowledgeBase,
    namespace: KbNamespace,
    prepared: list[_Prepared],
    vectors: Vectors,
    also: AlsoWrite | None,
) -> tuple[list[KbDocument], list[str]]:
    target = ref(namespace)
    stored: list[KbDocument] = []
    replaced: list[str] = []
    rows: list[dict[str, Any]] = []
    async with db.tenant_tx(namespace.tenant_id) as session:
        sources = [p.doc.source[:2000] for p in prepared]
        old = (
            await session.scalars(
                select(KbDocument).where(
                    KbDocument.namespace_id == namespace.id, KbDocument.source.in_(sources)
                )
            )
        ).all()
        for document in old:
            replaced.extend(await _drop_document(session, kb, target, document))
        for p in prepared:
            document = _document_row(namespace, p)
            session.add(document)
            stored.append(document)
        await session.flush()
        for p, document in zip(prepared, stored, strict=True):
            rows.extend(
                {
                    "id": chunk_id,
                    "created_at": document.created_at,
                    "tenant_id": namespace.tenant_id,
                    "namespace_id": namespace.id,
                    "document_id": document.id,
                    "position": position,
                    "text": draft.text,
                    "meta": draft.meta,
                }
                for position, (chunk_id, draft) in enumerate(zip(p.ids, p.drafts, strict=True))
            )
        await session.execute(insert(KbChunk), rows)
        await kb.store.write(session, target, [r["id"] for r in rows], vectors)
        await _bump(session, namespace.id)
        if also is not None:
            await also(session, stored)
    return stored, replaced


def _document_row(namespace: KbNamespace, p: _Prepared) -> KbDocument:
    return KbDocument(
        tenant_id=namespace.tenant_id,
        namespace_id=namespace.id,
        source=p.doc.source[:2000],
        title=p.title[:500],
        doc_type=p.doc.doc_type,
        url=p.doc.url,
        entity=p.doc.entity,
        doc_date=p.doc.doc_date,
        meta={**p.doc.extracted.meta, **p.doc.meta},
        content_hash=p.digest,
        chunk_count=len(p.drafts),
    )


async def delete_document(
    db: Database, kb: KnowledgeBase, tenant_id: str, document_id: str
) -> None:
    """Remove a document with its chunks and vectors."""
    async with db.tenant_tx(tenant_id) as session:
        document = await get_document(session, tenant_id, document_id)
        namespace = await session.get(KbNamespace, document.namespace_id)
        assert namespace is not None
        target = ref(namespace)
        chunk_ids = await _drop_document(session, kb, target, document)
        await _bump(session, namespace.id)
    await kb.store.purge(target, chunk_ids)
