"""Builders for knowledge-base tests."""

from __future__ import annotations

from typing import Any

from frontdesk.knowledge import documents
from frontdesk.knowledge.chunking import Extracted, Section
from frontdesk.knowledge.models import KbDocument, KbNamespace
from frontdesk.runtime import Runtime


def text_doc(source: str, text: str, **fields: Any) -> documents.DocumentInput:
    """A plain-text document input."""
    title = fields.pop("title", source)
    return documents.DocumentInput(
        source=source,
        doc_type=fields.pop("doc_type", "txt"),
        extracted=Extracted(title=title, sections=[Section(text=text)]),
        title=title,
        **fields,
    )


async def add_docs(
    runtime: Runtime,
    tenant_id: str,
    docs: list[documents.DocumentInput],
    namespace: str = "default",
) -> tuple[KbNamespace, list[KbDocument]]:
    ns = await documents.ensure_namespace(runtime.db, tenant_id, namespace)
    stored = [await documents.store_document(runtime.db, runtime.kb, ns, d) for d in docs]
    return ns, stored
