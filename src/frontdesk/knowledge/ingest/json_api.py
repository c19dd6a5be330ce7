"""A JSON API as a source: one document per record, pages followed by page number or cursor."""

from __future__ import annotations

from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from frontdesk.core.http import UnsafeURL, safe_client
from frontdesk.knowledge.chunking import Extracted, Section
from frontdesk.knowledge.documents import DocumentInput
from frontdesk.knowledge.ingest.base import IngestError
from frontdesk.knowledge.ingest.sources import Outcome, Outcomes
from frontdesk.settings import Settings


class Pagination(BaseModel):
    """How to get the next page."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["none", "page", "cursor"] = "none"
    param: str = Field(default="page", max_length=100, description="query parameter to set")
    start: int = 1
    cursor_path: str = Field(default="next", max_length=200, description="where the next cursor is")
    max_pages: int = Field(default=20, ge=1, le=1000)


class ApiSource(BaseModel):
    """A JSON API to ingest."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000)
    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict, max_length=30)
    body: dict[str, Any] | None = None
    credential_id: str | None = Field(
        default=None, max_length=64, description="vault credential for the Authorization header"
    )
    pagination: Pagination = Field(default_factory=Pagination)
    data_path: str = Field(default="", max_length=200, description="dotted path to the records")
    content_field: str = Field(min_length=1, max_length=200)
    title_field: str | None = Field(default=None, max_length=200)
    id_field: str | None = Field(default=None, max_length=200)


def pluck(data: Any, path: str) -> Any:
    """The value at a dotted path (``a.b.0.c``), or None."""
    for part in [p for p in path.split(".") if p]:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


async def _page(
    client: httpx.AsyncClient, spec: ApiSource, params: dict[str, Any], headers: dict[str, str]
) -> Any:
    try:
        response = await client.request(
            spec.method, spec.url, params=params, headers=headers, json=spec.body
        )
    except UnsafeURL as exc:
        raise IngestError(f"{spec.url}: {exc.detail}") from exc
    except httpx.HTTPError as exc:
        raise IngestError(f"{spec.url}: request failed ({type(exc).__name__})") from exc
    if response.status_code != 200:
        raise IngestError(f"{spec.url}: HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as exc:
        raise IngestError(f"{spec.url}: the answer is not JSON") from exc


def _document(spec: ApiSource, record: Any, number: int) -> Outcome:
    key = pluck(record, spec.id_field) if spec.id_field else None
    source = f"{spec.url}#{key if key is not None else number}"
    content = pluck(record, spec.content_field)
    if not isinstance(content, str) or not content.strip():
        return Outcome(source, error=f"{source}: no text in {spec.content_field!r}")
    title = pluck(record, spec.title_field) if spec.title_field else None
    title = str(title) if title is not None else source
    meta = {"record_id": str(key)} if key is not None else {}
    extracted = Extracted(title=title, sections=[Section(text=content)], meta=meta)
    return Outcome(source, DocumentInput(source, "api", extracted, title=title, url=spec.url))


async def records(
    settings: Settings, spec: ApiSource, auth: dict[str, str] | None = None
) -> Outcomes:
    """Every record of every page; ``auth``: the headers of ``spec.credential_id``, decrypted."""
    if spec.credential_id and not auth:
        raise IngestError("the credential cannot authenticate an HTTP request")
    headers = {**spec.headers, **(auth or {})}
    params: dict[str, Any] = {}
    if spec.pagination.type == "page":
        params[spec.pagination.param] = spec.pagination.start
    number = 0
    async with safe_client(settings) as client:
        for _ in range(spec.pagination.max_pages):
            data = await _page(client, spec, params, headers)
            items = pluck(data, spec.data_path) if spec.data_path else data
            if not isinstance(items, list):
                raise IngestError(f"{spec.url}: no list at data_path {spec.data_path!r}")
            for record in items:
                number += 1
                yield _document(spec, record, number)
            if spec.pagination.type == "none" or not items:
                return
            if spec.pagination.type == "page":
                params[spec.pagination.param] += 1
            else:
                cursor = pluck(data, spec.pagination.cursor_path)
                if cursor in (None, ""):
                    return
                params[spec.pagination.param] = cursor
