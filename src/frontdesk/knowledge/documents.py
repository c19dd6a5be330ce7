"""Namespaces and documents: create, list, delete, and store a document's chunks atomically.

Storing a document chunks and embeds it first (outside any transaction), then swaps its chunks in
one write transaction: the old chunks and vectors of the same source go and the new ones arrive
together with the namespace's version bump, so a search sees either the old document or the new
one, never a mixture or a half.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.core.db import Database
from frontdesk.core.errors import Conflict, NotFound, ValidationFailed
from frontdesk.core.ids import new_id
from frontdesk.knowledge.chunking import ChunkingConfig, Extracted, chunk_document, indexed_text
from frontdesk.knowledge.index import KnowledgeBase
from frontdesk.knowledge.models import KbChunk, KbDocument, KbNamespace
from frontdesk.knowledge.vectors import NamespaceRef


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


async def store_document(
    db: Database, kb: KnowledgeBase, namespace: KbNamespace, doc: DocumentInput
) -> KbDocument:
    """Chunk, embed and index ``doc``, replacing the namespace's document of the same source."""
    config = ChunkingConfig.model_validate(namespace.chunking or {})
    title = doc.title or doc.extracted.title or doc.source
    drafts = await chunk_document(doc.extracted, config, kb.embedder.embed)
    if not drafts:
        raise EmptyDocument(f"No text found in {doc.source}")
    vectors = await kb.embedder.embed([indexed_text(title, d.text, d.meta) for d in drafts])
    ids = [new_id() for _ in drafts]
    target = ref(namespace)
    await kb.store.stage(target, ids, vectors)
    digest = hashlib.sha256("\n".join(d.text for d in drafts).encode()).hexdigest()
    try:
        document, replaced = await _swap(
            db, kb, namespace, doc, title, digest, drafts, ids, vectors
        )
    except BaseException:
        await kb.store.purge(target, ids)
        raise
    await kb.store.purge(target, replaced)
    return document


async def _swap(
    db: Database,
    kb: KnowledgeBase,
    namespace: KbNamespace,
    doc: DocumentInput,
    title: str,
    digest: str,
    drafts: list[Any],
    ids: list[str],
    vectors: Any,
) -> tuple[KbDocument, list[str]]:
    target = ref(namespace)
    async with db.tenant_tx(namespace.tenant_id) as session:
        old = await session.scalar(
            select(KbDocument).where(
                KbDocument.namespace_id == namespace.id, KbDocument.source == doc.source
            )
        )
        replaced = await _drop_document(session, kb, target, old) if old is not None else []
        document = KbDocument(
            tenant_id=namespace.tenant_id,
            namespace_id=namespace.id,
            source=doc.source[:2000],
            title=title[:500],
            doc_type=doc.doc_type,
            url=doc.url,
            entity=doc.entity,
            doc_date=doc.doc_date,
            meta={**doc.extracted.meta, **doc.meta},
            content_hash=digest,
            chunk_count=len(drafts),
        )
        session.add(document)
        await session.flush()
        rows = [
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
            for position, (chunk_id, draft) in enumerate(zip(ids, drafts, strict=True))
        ]
        await session.execute(insert(KbChunk), rows)
        await kb.store.write(session, target, ids, vectors)
        await _bump(session, namespace.id)
    return document, replaced


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
