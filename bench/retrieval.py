"""Retrieval quality of the knowledge base: DSTC11 track 5 and two FAQ-style sets.

Ingests ../shared/datasets/dstc11-track5-kb/corpus.jsonl (10,882 snippets) through the real
ingestion path into a fresh SQLite database, then scores queries.jsonl against qrels/val.tsv with
recall@5, nDCG@10 and success@5 for vector-only, keyword-only, plain RRF, weighted sums with and
without the keyword gate (the gated one is the default; see frontdesk.knowledge.search), and
the default filtered by the entity tracked in the dialogue context. For each set it prints
whether the default is at least as good as the best single method (nDCG@10).
The FAQ-style sets check that the default fusion does not lose to dense retrieval there:
the demo shop's FAQ with 20 paraphrased questions, and the DSTC FAQ answers retrieved by their
questions. Queries are encoded in one batch beforehand (the same model as the search path).

    .venv/bin/python bench/retrieval.py [--dataset DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.common import table  # noqa: E402

from frontdesk.core.migrate import migrate  # noqa: E402
from frontdesk.demo import FAQ, PARAPHRASES  # noqa: E402
from frontdesk.knowledge import documents, search  # noqa: E402
from frontdesk.knowledge.chunking import Extracted, Section  # noqa: E402
from frontdesk.knowledge.embeddings import LocalEmbedder  # noqa: E402
from frontdesk.knowledge.schemas import QueryFilters, QueryRequest  # noqa: E402
from frontdesk.runtime import Runtime  # noqa: E402
from frontdesk.settings import Settings  # noqa: E402
from frontdesk.tenants.service import create_tenant  # noqa: E402

DATASET = ROOT.parent.parent / "shared" / "datasets" / "dstc11-track5-kb"
if not DATASET.exists():
    DATASET = Path("/work/shared/datasets/dstc11-track5-kb")
RRF_K = 60
DEFAULT = Settings()
DEFAULT_FUSION = f"hybrid (default: a={DEFAULT.kb_hybrid_alpha}, margin {DEFAULT.kb_hybrid_margin})"
FUSIONS = {  # label -> (alpha, margin); margin 1.0 turns the gate off
    "hybrid, ungated, a=0.5": (0.5, 1.0),
    "hybrid, ungated, a=0.7": (0.7, 1.0),
    "hybrid, gated, a=0.5, margin 0.15": (0.5, 0.15),
    DEFAULT_FUSION: (DEFAULT.kb_hybrid_alpha, DEFAULT.kb_hybrid_margin),
    "hybrid, gated, a=0.7, margin 0.15": (0.7, 0.15),
    "hybrid, gated, a=0.6, margin 0.1": (0.6, 0.1),
}


def record(
    source: str, title: str, text: str, doc_type: str, entity: str | None, meta: dict[str, Any]
) -> documents.DocumentInput:
    return documents.DocumentInput(
        source=source,
        doc_type=doc_type,
        title=title,
        entity=entity,
        meta=meta,
        extracted=Extracted(title=title, sections=[Section(text=text, kind="record")]),
    )


def scores_for(ranked: list[str], relevant: set[str]) -> tuple[float, float, float]:
    """recall@5, nDCG@10, success@5 of one ranking."""
    top5 = ranked[:5]
    recall = len(set(top5) & relevant) / len(relevant)
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    success = 1.0 if set(top5) & relevant else 0.0
    return recall, dcg / ideal, success


def rrf(*rankings: list[str]) -> list[str]:
    total: dict[str, float] = defaultdict(float)
    for ranking in rankings:
        for rank, doc in enumerate(ranking):
            total[doc] += 1 / (RRF_K + rank + 1)
    return sorted(total, key=lambda d: -total[d])


class Bench:
    def __init__(self, runtime: Runtime, tenant_id: str, encoder: LocalEmbedder) -> None:
        self.runtime = runtime
        self.tenant_id = tenant_id
        self.encoder = encoder
        self.sources: dict[str, str] = {}  # chunk id -> source

    async def ingest(self, namespace: str, docs: list[documents.DocumentInput]) -> float:
        ns = await documents.ensure_namespace(self.runtime.db, self.tenant_id, namespace)
        started = time.perf_counter()
        for start in range(0, len(docs), 512):
            await documents.store_documents(
                self.runtime.db, self.runtime.kb, ns, docs[start : start + 512]
            )
        return len(docs) / (time.perf_counter() - started)

    async def ranked(
        self,
        namespace: str,
        text: str,
        vector: Any,
        mode: str,
        k: int = 50,
        entity: str | None = None,
        context: list[str] | None = None,
    ) -> tuple[list[str], str | None]:
        request = QueryRequest(
            query=text,
            namespace=namespace,
            top_k=k,
            mode=mode,  # type: ignore[arg-type]
            filters=QueryFilters(entity=entity),
            context=context or [],
            track_entity=context is not None,
        )
        async with self.runtime.db.tenant_session(self.tenant_id) as session:
            response = await search.search(
                session, self.runtime.kb, self.tenant_id, request, query_vector=vector
            )
        return [h.metadata["source"] for h in response.results], response.entity

    def set_fusion(self, alpha: float, margin: float) -> None:
        kb = self.runtime.kb
        kb.settings = kb.settings.model_copy(
            update={"kb_hybrid_alpha": alpha, "kb_hybrid_margin": margin}
        )


async def evaluate(
    bench: Bench, namespace: str, queries: list[tuple[str, Any, set[str]]]
) -> dict[str, tuple[float, float, float]]:
    """Mean metrics per method on (text, vector, relevant) queries."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for text, vector, relevant in queries:
        dense, _ = await bench.ranked(namespace, text, vector, "vector")
        keyword, _ = await bench.ranked(namespace, text, vector, "keyword")
        runs = {"vector": dense, "keyword": keyword, "rrf (equal weights)": rrf(dense, keyword)}
        for name, (alpha, margin) in FUSIONS.items():
            bench.set_fusion(alpha, margin)
            runs[name], _ = await bench.ranked(namespace, text, vector, "hybrid")
        bench.set_fusion(DEFAULT.kb_hybrid_alpha, DEFAULT.kb_hybrid_margin)
        for name, ranked in runs.items():
            for i, value in enumerate(scores_for(ranked, relevant)):
                sums[name][i] += value
    return {
        name: (s[0] / len(queries), s[1] / len(queries), s[2] / len(queries))
        for name, s in sums.items()
    }


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open() as f:
        return [json.loads(line) for line in f]


def print_results(title: str, results: dict[str, tuple[float, float, float]]) -> None:
    rows = [(name, f"{r:.3f}", f"{n:.3f}", f"{s:.3f}") for name, (r, n, s) in results.items()]
    print(table(title, ["method", "recall@5", "nDCG@10", "success@5"], rows))
    compare(results, DEFAULT_FUSION, ["vector", "keyword"])


def compare(
    results: dict[str, tuple[float, float, float]], default: str, singles: list[str]
) -> None:
    """Print whether the default fusion's nDCG@10 is at least the best single method's."""
    best = max(singles, key=lambda name: results[name][1])
    ours, theirs = results[default][1], results[best][1]
    print(f"{default} nDCG@10 {ours:.3f} vs best single ({best}) {theirs:.3f}: ", end="")
    print("at least as good" if ours >= theirs else "WORSE")


async def dstc(bench: Bench, dataset: Path, limit: int | None) -> None:
    corpus = load_jsonl(dataset / "corpus.jsonl")
    docs = [
        record(
            row["_id"],
            row["title"],
            row["text"],
            row["doc_type"],
            row["entity_name"],
            {"domain": row["domain"]},
        )
        for row in corpus
    ]
    rate = await bench.ingest("dstc", docs)
    print(f"DSTC11 ingestion: {len(docs)} snippets at {rate:.0f} chunks/s (embedded and indexed)")

    qrels: dict[str, set[str]] = defaultdict(set)
    for line in (dataset / "qrels" / "val.tsv").read_text().splitlines()[1:]:
        qid, doc, _ = line.split("\t")
        qrels[qid].add(doc)
    entity_of = {row["_id"]: row["entity_name"] for row in corpus}
    queries = [q for q in load_jsonl(dataset / "queries.jsonl") if q["_id"] in qrels]
    if limit:
        queries = queries[:limit]
    turns = [[t["text"] for t in q["context"]] for q in queries]
    with_context = [" ".join([*t[-2:], q["text"]]) for q, t in zip(queries, turns, strict=True)]
    started = time.perf_counter()
    ctx_vectors = bench.encoder.encode_sync(with_context)
    last_vectors = bench.encoder.encode_sync([q["text"] for q in queries])
    print(f"encoded {2 * len(queries)} query texts in {time.perf_counter() - started:.1f} s")

    base = await evaluate(
        bench,
        "dstc",
        [
            (text, vec, qrels[q["_id"]])
            for q, text, vec in zip(queries, with_context, ctx_vectors, strict=True)
        ],
    )
    tracked: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    hits = 0
    for q, t, cvec, lvec, ctext in zip(
        queries, turns, ctx_vectors, last_vectors, with_context, strict=True
    ):
        relevant = qrels[q["_id"]]
        gold = {entity_of[d] for d in relevant}
        runs: dict[str, list[str]] = {}
        runs["hybrid + tracked entity, last turn"], entity = await bench.ranked(
            "dstc", q["text"], lvec, "hybrid", context=t
        )
        runs["hybrid + tracked entity, last 3 turns"], _ = await bench.ranked(
            "dstc", ctext, cvec, "hybrid", entity=entity
        )
        runs["vector + tracked entity, last turn"], _ = await bench.ranked(
            "dstc", q["text"], lvec, "vector", entity=entity
        )
        runs["keyword + tracked entity, last turn"], _ = await bench.ranked(
            "dstc", q["text"], lvec, "keyword", entity=entity
        )
        oracle = sorted(gold)[0]
        runs["hybrid + gold entity (oracle), last turn"], _ = await bench.ranked(
            "dstc", q["text"], lvec, "hybrid", entity=oracle
        )
        hits += entity in gold
        for name, ranked in runs.items():
            for i, value in enumerate(scores_for(ranked, relevant)):
                tracked[name][i] += value
    n = len(queries)
    base.update({name: (s[0] / n, s[1] / n, s[2] / n) for name, s in tracked.items()})
    print_results(
        f"DSTC11 track 5 val, {n} queries (vector/keyword/hybrid on the last 3 turns)", base
    )
    compare(
        base,
        "hybrid + tracked entity, last turn",
        ["vector + tracked entity, last turn", "keyword + tracked entity, last turn"],
    )
    print(
        f"entity tracking: the detected entity is one the gold snippets are about in "
        f"{hits}/{n} queries ({hits / n:.1%})"
    )


async def faq_sets(bench: Bench, dataset: Path, limit: int | None) -> None:
    docs = [record(q, q, f"{q} {a}", "faq", None, {}) for q, _, a, _ in FAQ]
    await bench.ingest("demo_faq", docs)
    texts = [p for p, _ in PARAPHRASES]
    vectors = bench.encoder.encode_sync(texts)
    queries = [(t, v, {want}) for (t, want), v in zip(PARAPHRASES, vectors, strict=True)]
    print_results(
        "demo shop FAQ: 18 entries, 20 paraphrased questions",
        await evaluate(bench, "demo_faq", queries),
    )

    rows = [r for r in load_jsonl(dataset / "corpus.jsonl") if r["doc_type"] == "faq"]
    docs = [record(r["_id"], r["title"], r["answer"], "faq", r["entity_name"], {}) for r in rows]
    await bench.ingest("dstc_faq", docs)
    rows = rows[:limit] if limit else rows
    vectors = bench.encoder.encode_sync([r["question"] for r in rows])
    queries = [(r["question"], v, {r["_id"]}) for r, v in zip(rows, vectors, strict=True)]
    print_results(
        f"DSTC11 FAQ answers (titled by entity) found by their question, {len(queries)} queries",
        await evaluate(bench, "dstc_faq", queries),
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--limit", type=int, default=None, help="score only the first N queries")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env="test",
            data_dir=Path(tmp),
            log_level="WARNING",
            sqlite_synchronous="NORMAL",
            master_key=base64.b64encode(os.urandom(32)).decode(),  # type: ignore[arg-type]
        )
        await migrate(settings)
        runtime = Runtime.create(settings)
        async with runtime.db.system_session() as session:
            tenant = await create_tenant(session, "bench")
            await session.commit()
        encoder = runtime.kb.embedder
        assert isinstance(encoder, LocalEmbedder)
        bench = Bench(runtime, tenant.id, encoder)
        await faq_sets(bench, args.dataset, args.limit)
        await dstc(bench, args.dataset, args.limit)
        await runtime.db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
