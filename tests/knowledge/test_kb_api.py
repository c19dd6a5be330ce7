"""The knowledge API: namespaces, documents, uploads and sources as jobs, query and answers."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from frontdesk.runtime import Runtime
from tests.conftest import TenantCtx
from tests.knowledge.ingest import samples
from tests.vault.helpers import audit_rows, revoke
from tests.vault.helpers import create as create_credential

K = "/api/v1/knowledge"

PAGES = {
    "/robots.txt": ("text/plain", "User-agent: *\nDisallow: /private\n"),
    "/": (
        "text/html",
        "<html><head><title>Help centre</title></head><body><article><h1>Help centre</h1>"
        "<p>Our help centre explains deliveries, returns and warranties for every order.</p>"
        '<a href="/delivery">Delivery</a> <a href="/private/admin">Admin</a>'
        '<a href="/#top">Top</a> <a href="https://elsewhere.example/">Else</a></article></body></html>',
    ),
    "/delivery": (
        "text/html",
        "<html><head><title>Delivery</title></head><body><article><h1>Delivery</h1>"
        "<p>Parcels reach Norway within four working days by road freight.</p>"
        '<a href="/">Home</a> <a href="/delivery/">Again</a> <a href="/redirect">R</a>'
        "</article></body></html>",
    ),
    "/redirect": ("redirect", "http://169.254.169.254/latest/meta-data/"),
    "/private/admin": ("text/html", "<p>secret admin page</p>"),
}
PRIVATE_KEY = "sk_kb_private_0123456789abcdef"
RECORDS = [
    {"id": i, "name": f"Article {i}", "body": f"Article {i} explains topic number {i} in depth."}
    for i in range(5)
]


class Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        if parts.path == "/api/private" and self.headers.get("X-Api-Key") != f"Key {PRIVATE_KEY}":
            self.send_response(401)
            self.end_headers()
            return None
        if parts.path in ("/api/articles", "/api/private"):
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
            items = RECORDS[(page - 1) * 2 : page * 2]
            return self._send("application/json", json.dumps({"data": {"items": items}}))
        kind, body = PAGES.get(parts.path, ("missing", ""))
        if kind == "redirect":
            self.send_response(302)
            self.send_header("Location", body)
            self.end_headers()
            return None
        if kind == "missing":
            self.send_response(404)
            self.end_headers()
            return None
        return self._send(kind, body)

    def _send(self, kind: str, body: str) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


async def wait_job(client: httpx.AsyncClient, tenant: TenantCtx, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        job = (await client.get(f"{K}/jobs/{job_id}", headers=tenant.headers)).json()
        if job["status"] in ("done", "failed", "partial") or time.monotonic() > deadline:
            return job
        await asyncio.sleep(0.1)


async def make_ns(client: httpx.AsyncClient, tenant: TenantCtx, name: str = "help") -> None:
    r = await client.post(f"{K}/namespaces", headers=tenant.headers, json={"name": name})
    assert r.status_code == 201, r.text


async def test_namespaces_crud_and_conflicts(client: httpx.AsyncClient, tenant: TenantCtx):
    body = {
        "name": "docs",
        "chunking": {"strategy": "fixed_size", "chunk_size": 100, "overlap": 20},
    }
    r = await client.post(f"{K}/namespaces", headers=tenant.headers, json=body)
    assert r.status_code == 201 and r.json()["chunking"]["strategy"] == "fixed_size"
    r = await client.post(f"{K}/namespaces", headers=tenant.headers, json=body)
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    r = await client.post(
        f"{K}/namespaces", headers=tenant.headers, json={"name": "x", "chunking": {"overlap": 900}}
    )
    assert r.status_code == 422
    r = await client.patch(
        f"{K}/namespaces/docs", headers=tenant.headers, json={"description": "d"}
    )
    assert r.json()["description"] == "d"
    assert [
        n["name"] for n in (await client.get(f"{K}/namespaces", headers=tenant.headers)).json()
    ] == ["docs"]
    assert (await client.delete(f"{K}/namespaces/docs", headers=tenant.headers)).status_code == 204
    assert (await client.get(f"{K}/namespaces/docs", headers=tenant.headers)).status_code == 404


async def test_documents_query_answer_and_delete(client: httpx.AsyncClient, tenant: TenantCtx):
    await make_ns(client, tenant)
    doc = {
        "source": "kb/returns",
        "title": "Returns",
        "format": "md",
        "text": "# Returns\n\nYou can return any item within 30 days for a full refund.",
        "url": "https://shop.example/returns",
        "metadata": {"team": "support"},
    }
    r = await client.post(f"{K}/namespaces/help/documents", headers=tenant.headers, json=doc)
    assert r.status_code == 201, r.text
    document = r.json()
    chunks = (
        await client.get(f"{K}/documents/{document['id']}/chunks", headers=tenant.headers)
    ).json()
    assert chunks[0]["meta"]["heading_path"] == ["Returns"]

    q = {"query": "how many days do I have to return something?", "namespace": "help"}
    r = await client.post(f"{K}/query", headers=tenant.headers, json=q)
    assert r.status_code == 200
    hit = r.json()["results"][0]
    assert hit["document_id"] == document["id"] and hit["metadata"]["team"] == "support"
    assert r.json()["latency_ms"] >= 0

    r = await client.post(f"{K}/answer", headers=tenant.headers, json=q)
    answer = r.json()
    assert answer["mode"] == "extractive" and "30 days" in answer["answer"]
    assert answer["answer"].endswith("[1]")
    assert answer["citations"][0]["url"] == "https://shop.example/returns"

    r = await client.post(
        f"{K}/answer",
        headers=tenant.headers,
        json={**q, "query": "what is the airspeed of a swallow"},
    )
    assert r.json()["mode"] == "dont_know" and r.json()["citations"] == []

    assert (
        await client.delete(f"{K}/documents/{document['id']}", headers=tenant.headers)
    ).status_code == 204
    r = await client.post(f"{K}/query", headers=tenant.headers, json=q)
    assert r.json()["results"] == []


async def test_bad_queries(client: httpx.AsyncClient, tenant: TenantCtx):
    r = await client.post(
        f"{K}/query", headers=tenant.headers, json={"query": "x", "namespace": "nope"}
    )
    assert r.status_code == 200 and r.json()["results"] == []  # nothing loaded yet
    for body in (
        {"query": ""},
        {"query": "x", "top_k": 0},
        {"query": "x", "filters": {"bogus": 1}},
    ):
        r = await client.post(f"{K}/query", headers=tenant.headers, json=body)
        assert r.status_code == 422, body


async def test_upload_files_as_jobs(client: httpx.AsyncClient, tenant: TenantCtx):
    await make_ns(client, tenant)
    url = f"{K}/namespaces/help/files"
    r = await client.post(
        url,
        params={"filename": "handbook.docx"},
        headers=tenant.headers,
        content=samples.docx_bytes(),
    )
    assert r.status_code == 202, r.text
    job = await wait_job(client, tenant, r.json()["id"])
    assert job["status"] == "done" and job["done"] == 1 and job["chunks"] >= 2, job
    r = await client.post(
        f"{K}/query",
        headers=tenant.headers,
        json={"query": "how many days of paid leave", "namespace": "help"},
    )
    assert "25 days" in r.json()["results"][0]["content"]

    r = await client.post(
        url,
        params={"filename": "bomb.xlsx"},
        headers=tenant.headers,
        content=samples.zip_bomb("xl/workbook.xml", 300_000_000),
    )
    job = await wait_job(client, tenant, r.json()["id"])
    assert job["status"] == "failed" and "zip bomb" in job["errors"][0]["error"]

    r = await client.post(
        url, params={"filename": "movie.mp4"}, headers=tenant.headers, content=b"x"
    )
    assert r.status_code == 422 and r.json()["code"] == "unsupported_format"
    r = await client.post(
        url, params={"filename": "empty.txt"}, headers=tenant.headers, content=b""
    )
    assert r.status_code == 422


async def test_upload_over_the_limit_is_refused_while_streaming(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime
):
    await make_ns(client, tenant)
    runtime.settings.kb_max_upload_bytes = 10_000  # the route reads it per request

    async def body():
        for _ in range(100):
            yield b"a" * 1000

    r = await client.post(
        f"{K}/namespaces/help/files",
        params={"filename": "big.txt"},
        headers=tenant.headers,
        content=body(),
    )
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert not list((runtime.settings.data_dir / "kb_uploads").rglob("big.txt"))


async def test_crawl_respects_site_robots_depth_and_ssrf(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, site: str
):
    runtime.settings.http_allowed_hosts = [site]
    await make_ns(client, tenant)
    spec = {"type": "url", "url": f"http://{site}/", "crawl": True, "depth": 3, "max_pages": 10}
    r = await client.post(
        f"{K}/namespaces/help/sources", headers=tenant.headers, json={"source": spec}
    )
    assert r.status_code == 202, r.text
    job = await wait_job(client, tenant, r.json()["id"])
    errors = {e["source"]: e["error"] for e in job["errors"]}
    assert job["done"] == 2, job  # / and /delivery, each once despite the loops
    assert "robots.txt" in errors[f"http://{site}/private/admin"]
    assert "non-public" in errors[f"http://{site}/redirect"]
    assert job["status"] == "partial"
    docs = (await client.get(f"{K}/namespaces/help/documents", headers=tenant.headers)).json()
    assert {d["title"] for d in docs} == {"Help centre", "Delivery"}

    r = await client.post(
        f"{K}/namespaces/help/sources",
        headers=tenant.headers,
        json={"source": {"type": "url", "url": "http://169.254.169.254/x"}},
    )
    assert r.status_code == 400 and r.json()["code"] == "unsafe_url"


async def test_json_api_source_with_pages(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, site: str
):
    runtime.settings.http_allowed_hosts = [site]
    await make_ns(client, tenant)
    api = {
        "url": f"http://{site}/api/articles",
        "pagination": {"type": "page", "param": "page", "start": 1, "max_pages": 10},
        "data_path": "data.items",
        "content_field": "body",
        "title_field": "name",
        "id_field": "id",
    }
    r = await client.post(
        f"{K}/namespaces/help/sources",
        headers=tenant.headers,
        json={"source": {"type": "api", "api": api, "entity": "Articles"}},
    )
    job = await wait_job(client, tenant, r.json()["id"])
    assert job["status"] == "done" and job["done"] == 5, job
    docs = (await client.get(f"{K}/namespaces/help/documents", headers=tenant.headers)).json()
    assert {d["title"] for d in docs} == {f"Article {i}" for i in range(5)}
    assert {d["entity"] for d in docs} == {"Articles"}


async def test_json_api_source_with_a_vault_credential(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, site: str
):
    runtime.settings.http_allowed_hosts = [site]
    await make_ns(client, tenant)
    value = {"key": PRIVATE_KEY, "header": "X-Api-Key", "scheme": "Key"}
    cred = await create_credential(client, tenant, value=value)
    api = {"url": f"http://{site}/api/private", "content_field": "body", "data_path": "data.items"}

    async def source(credential_id: str | None) -> httpx.Response:
        spec = {"type": "api", "api": {**api, "credential_id": credential_id}}
        url = f"{K}/namespaces/help/sources"
        return await client.post(url, headers=tenant.headers, json={"source": spec})

    failed = await wait_job(client, tenant, (await source(None)).json()["id"])
    assert failed["status"] == "failed" and "HTTP 401" in failed["errors"][0]["error"]
    r = await source(cred["id"])
    job = await wait_job(client, tenant, r.json()["id"])
    assert job["status"] == "done" and job["done"] == 2, job
    assert PRIVATE_KEY not in r.text + str(job)
    [decrypt] = await audit_rows(client, tenant, cred["id"], "decrypt")
    assert decrypt["service"] == "knowledge.ingest" and job["id"] in decrypt["reason"]

    assert (await source("no-such-credential")).json()["code"] == "credential_not_found"
    await revoke(client, tenant, cred["id"], "rotated out")
    r = await source(cred["id"])
    assert r.status_code == 409 and r.json()["code"] == "credential_unavailable"


async def test_folder_source_needs_an_allowed_root(
    client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime, tmp_path
):
    await make_ns(client, tenant)
    folder = tmp_path / "kb"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Alpha plans include phone support.")
    (folder / "sub" / "b.md").write_text("# Beta\n\nBeta plans include chat support.")
    (folder / "c.pdf").write_bytes(b"%PDF-1.4 broken")
    source = {"source": {"type": "folder", "path": str(folder)}}
    r = await client.post(f"{K}/namespaces/help/sources", headers=tenant.headers, json=source)
    assert r.status_code == 422
    runtime.settings.kb_folder_roots = [str(tmp_path)]
    r = await client.post(f"{K}/namespaces/help/sources", headers=tenant.headers, json=source)
    job = await wait_job(client, tenant, r.json()["id"])
    assert job["status"] == "partial" and job["done"] == 2 and job["failed"] == 1
    assert job["errors"][0]["source"] == "c.pdf" and "corrupt PDF" in job["errors"][0]["error"]


async def test_roles(client: httpx.AsyncClient, tenant: TenantCtx, runtime: Runtime):
    from frontdesk.core.auth import Role
    from tests.factories import api_key

    viewer = {"Authorization": f"Bearer {await api_key(runtime.db, tenant.id, Role.VIEWER)}"}
    r = await client.post(f"{K}/namespaces", headers=viewer, json={"name": "v"})
    assert r.status_code == 403
    assert (await client.get(f"{K}/namespaces", headers=viewer)).status_code == 200
