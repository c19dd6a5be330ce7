"""Knowledge-base speed: ingestion chunks/s and hybrid search latency with 10,000 chunks.

Ingests the first N snippets of the DSTC11 corpus (default 10,000) through the real path
(chunk, embed with MiniLM, write chunks and vectors, bump the namespace version) into a fresh
SQLite database, in batches of 256 documents, and compares the rate with the bare encoder on the
first 2,000 of the same texts in the same run. Then times 300 hybrid queries end to end through
the search service (namespace lookup, query encoding, brute-force vector scoring, BM25, fusion,
hydration), after one warm-up query that loads the snapshot, and the parts alone: query
encoding, scoring 10,000 x 384 vectors, BM25 over 10,000 chunks.

    .venv/bin/python bench/kb_bench.py [--chunks N] [--queries N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.common import percentile, table  # noqa: E402
from bench.retrieval import DATASET, record  # noqa: E402

from frontdesk.core.migrate import migrate  # noqa: E402
from frontdesk.knowledge import documents, search  # noqa: E402
from frontdesk.knowledge.chunking import indexed_text  # noqa: E402
from frontdesk.knowledge.embeddings import LocalEmbedder  # noqa: E402
from frontdesk.knowledge.schemas import QueryRequest  # noqa: E402
from frontdesk.runtime import Runtime  # noqa: E402
from frontdesk.settings import Settings  # noqa: E402
from frontdesk.tenants.service import create_tenant  # noqa: E402


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rows = [json.loads(line) for line in (DATASET / "corpus.jsonl").open()][: args.chunks]
    queries = [json.loads(line)["text"] for line in (DATASET / "queries.jsonl").open()]
    queries = queries[: args.queries]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env="test", data_dir=Path(tmp), log_level="WARNING", sqlite_synchronous="FULL",
            master_key=base64.b64encode(os.urandom(32)).decode(),  # type: ignore[arg-type]
        )  # fmt: skip
        await migrate(settings)
        runtime = Runtime.create(settings)
        async with runtime.db.system_session() as session:
            tenant = await create_tenant(session, "bench")
            await session.commit()
        encoder = runtime.kb.embedder
        assert isinstance(encoder, LocalEmbedder)
        encoder.encode_sync(["warm up"])

        texts = [indexed_text(r["title"], r["text"], {}) for r in rows][:2000]
        started = time.perf_counter()
        for start in range(0, len(texts), 256):
            encoder.encode_sync(texts[start : start + 256])
        bare = len(texts) / (time.perf_counter() - started)

        docs = [
            record(r["_id"], r["title"], r["text"], r["doc_type"], r["entity_name"], {})
            for r in rows
        ]
        ns = await documents.ensure_namespace(runtime.db, tenant.id, "bench")
        started = time.perf_counter()
        for start in range(0, len(docs), 256):
            await documents.store_documents(runtime.db, runtime.kb, ns, docs[start : start + 256])
        ingest = len(docs) / (time.perf_counter() - started)

        async def one(text: str) -> float:
            started = time.perf_counter()
            async with runtime.db.tenant_session(tenant.id) as session:
                await search.search(
                    session, runtime.kb, tenant.id, QueryRequest(query=text, namespace="bench")
                )
            return (time.perf_counter() - started) * 1000

        await one("warm up")  # loads the snapshot and the vector matrix once
        latencies = [await one(q) for q in queries]
        encode = timed(lambda: encoder.encode_sync([queries[0]]), 50)
        matrix = np.random.default_rng(0).standard_normal((len(rows), 384)).astype(np.float32)
        vector = matrix[0]
        scoring = timed(lambda: matrix @ vector, 200)
        async with runtime.db.tenant_session(tenant.id) as session:
            snapshot = await runtime.kb.snapshot(session, documents.ref(ns))
        snap = snapshot
        keyword = timed(lambda: snap.keyword.scores(queries[1]), 100)
        await runtime.db.dispose()

    print(table(
        f"ingestion, {len(docs)} DSTC11 snippets (SQLite, synchronous=FULL, batches of 256)",
        ["what", "chunks/s"],
        [(f"bare MiniLM encoder, first {len(texts)} texts", f"{bare:.0f}"),
         ("ingest (chunk + embed + write + index)", f"{ingest:.0f}"),
         ("ratio ingest / bare encoder", f"{ingest / bare:.2f}")],
    ))  # fmt: skip
    print(table(
        f"hybrid search over {len(rows)} chunks, {len(latencies)} queries, ms",
        ["part", "p50", "p95", "p99"],
        [("search end to end", *(f"{percentile(latencies, p):.1f}" for p in (50, 95, 99))),
         ("query encoding alone", *(f"{percentile(encode, p):.1f}" for p in (50, 95, 99))),
         (f"vector scoring {len(rows)} x 384",
          *(f"{percentile(scoring, p):.2f}" for p in (50, 95, 99))),
         ("BM25 scoring", *(f"{percentile(keyword, p):.2f}" for p in (50, 95, 99)))],
    ))  # fmt: skip
    print(f"CPU load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    asyncio.run(main())
