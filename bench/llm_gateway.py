"""LLM gateway figures: overhead vs direct httpx, semantic cache lookup, failover, import time.

Everything runs in this process against the fake provider server (tests/llm/fake_provider.py,
uvicorn on 127.0.0.1 in a thread) and a temporary SQLite database (synchronous=FULL, as shipped).

    .venv/bin/python bench/llm_gateway.py [--calls 500] [--entries 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.common import percentile, table, verdict  # noqa: E402
from tests.factories import make_tenant  # noqa: E402
from tests.llm.fake_provider import FakeProvider, Reply  # noqa: E402

from frontdesk.core.auth import Role  # noqa: E402
from frontdesk.core.crypto import KeyRing  # noqa: E402
from frontdesk.core.db import Database, create_engine  # noqa: E402
from frontdesk.core.ids import new_id  # noqa: E402
from frontdesk.core.metrics import Metrics  # noqa: E402
from frontdesk.core.migrate import migrate  # noqa: E402
from frontdesk.llm import Completion, CompletionRequest, LLMGateway  # noqa: E402
from frontdesk.llm.cache_policy import scope_of  # noqa: E402
from frontdesk.llm.models import LLMCacheEntry  # noqa: E402
from frontdesk.llm.schemas import LLMSettingsUpdate  # noqa: E402
from frontdesk.llm.service import update_settings  # noqa: E402
from frontdesk.settings import Settings  # noqa: E402

QUESTION = "When will my order arrive?"
MASTER = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def ms(values: list[float]) -> tuple[float, float]:
    return percentile(values, 50) * 1000, percentile(values, 99) * 1000


async def setup(data_dir: Path, fake: FakeProvider) -> tuple[Settings, Database, KeyRing, str]:
    settings = Settings(
        data_dir=data_dir,
        master_key=MASTER,
        http_allowed_hosts=[fake.host],
        log_level="ERROR",
        llm_breaker_failures=1,
        llm_breaker_cooldown_seconds=3600,
    )  # type: ignore[call-arg]
    await migrate(settings)
    db = Database(create_engine(settings))
    tenant_id, _ = await make_tenant(db, "bench", Role.ADMIN, faq=False)
    return settings, db, KeyRing(bytes(32)), tenant_id


async def configure(
    db: Database,
    keyring: KeyRing,
    settings: Settings,
    tenant_id: str,
    providers: list[dict[str, object]],
) -> None:
    async with db.tenant_tx(tenant_id) as session:
        await update_settings(
            session,
            keyring,
            settings,
            tenant_id,
            LLMSettingsUpdate.model_validate({"providers": providers}),
        )


async def overhead(
    gateway: LLMGateway, fake: FakeProvider, tenant_id: str, calls: int
) -> list[list[object]]:
    request = CompletionRequest.model_validate(
        {"messages": [{"role": "user", "content": QUESTION}], "cache": False}
    )
    body = {
        "model": "gpt-4o-mini",
        "max_tokens": 500,
        "messages": [{"role": "user", "content": QUESTION}],
    }
    direct: list[float] = []
    through: list[float] = []
    cpu = {"direct": 0.0, "gateway": 0.0}
    async with httpx.AsyncClient() as client:
        for _ in range(20):  # warm both paths: connections, SDK import, tokenizer, prices
            await client.post(fake.openai_url("primary") + "/chat/completions", json=body)
            await gateway.complete(tenant_id, request)
        for _ in range(calls):  # interleaved, so both see the same machine state
            start, cpu_start = time.perf_counter(), time.process_time()
            r = await client.post(fake.openai_url("primary") + "/chat/completions", json=body)
            r.json()
            direct.append(time.perf_counter() - start)
            cpu["direct"] += time.process_time() - cpu_start
            start, cpu_start = time.perf_counter(), time.process_time()
            result = await gateway.complete(tenant_id, request)
            through.append(time.perf_counter() - start)
            cpu["gateway"] += time.process_time() - cpu_start
            assert isinstance(result, Completion)
        cpu_start = time.process_time()
        await gateway.flush()
        cpu["gateway"] += time.process_time() - cpu_start
    d50, d99 = ms(direct)
    g50, g99 = ms(through)
    o50, o99 = ms([g - d for g, d in zip(through, direct, strict=True)])
    return [
        ["direct httpx POST", f"{d50:.2f}", f"{d99:.2f}", ""],
        ["gateway.complete (usage row queued)", f"{g50:.2f}", f"{g99:.2f}", f"x{g50 / d50:.2f}"],
        [
            "overhead (gateway - direct, paired calls)",
            f"{o50:.2f}",
            f"{o99:.2f}",
            f"p50<1 {verdict(o50 < 1)}, p99<5 {verdict(o99 < 5)}",
        ],
        [
            "CPU per call, direct (client + fake server)",
            f"{cpu['direct'] / calls * 1000:.2f}",
            "",
            "mean process CPU time",
        ],
        [
            "CPU per call, gateway (usage writes included)",
            f"{cpu['gateway'] / calls * 1000:.2f}",
            "",
            f"overhead {(cpu['gateway'] - cpu['direct']) / calls * 1000:.2f} ms of CPU",
        ],
    ]


async def cache_lookup(
    gateway: LLMGateway, db: Database, tenant_id: str, entries: int
) -> list[list[object]]:
    embedder = gateway.cache._embedder()
    questions = [f"Question number {i} about order {i * 7}" for i in range(50)]
    await embedder.embed(questions[:2])  # load the model
    encode: list[float] = []
    vectors = []
    for q in questions:
        start = time.perf_counter()
        vectors.append((await embedder.embed([q]))[0])
        encode.append(time.perf_counter() - start)
    scope = scope_of("gpt-4o-mini", None, None)
    rng = np.random.default_rng(7)
    random = rng.standard_normal((entries, 384)).astype(np.float32)
    random /= np.linalg.norm(random, axis=1, keepdims=True)
    expires = gateway._now().replace(year=2100)
    async with db.tenant_tx(tenant_id) as session:
        session.add_all(
            [
                LLMCacheEntry(
                    id=new_id(),
                    tenant_id=tenant_id,
                    scope=scope,
                    question=f"q{i}",
                    vector=random[i].tobytes(),
                    answer=f"a{i}",
                    model="gpt-4o-mini",
                    provider="primary",
                    tokens_in=1,
                    tokens_out=1,
                    expires_at=expires,
                )
                for i in range(entries)
            ]
        )
    gateway.cache.forget(tenant_id)
    start = time.perf_counter()
    await gateway.cache.lookup(tenant_id, scope, vectors[0])
    load = time.perf_counter() - start
    lookups: list[float] = []
    for _ in range(20):
        for vector in vectors:
            start = time.perf_counter()
            await gateway.cache.lookup(tenant_id, scope, vector)
            lookups.append(time.perf_counter() - start)
    l50, l99 = ms(lookups)
    e50, e99 = ms(encode)
    return [
        [
            f"index lookup, {entries:,} entries",
            f"{l50:.3f}",
            f"{l99:.3f}",
            f"p99<10 {verdict(l99 < 10)}",
        ],
        ["query encoding (MiniLM, 1 text)", f"{e50:.2f}", f"{e99:.2f}", ""],
        [
            "lookup + encoding",
            f"{l50 + e50:.2f}",
            f"{l99 + e99:.2f}",
            f"p99<10 {verdict(l99 + e99 < 10)}",
        ],
        [f"first lookup (loads {entries:,} rows)", f"{load * 1000:.1f}", "", "once per process"],
    ]


async def failover(
    gateway: LLMGateway,
    fake: FakeProvider,
    db: Database,
    keyring: KeyRing,
    settings: Settings,
    tenant_id: str,
    calls: int,
) -> list[list[object]]:
    await configure(
        db,
        keyring,
        settings,
        tenant_id,
        [
            {
                "name": "primary",
                "kind": "openai",
                "api_key": "sk-bench",
                "base_url": fake.openai_url("primary"),
            },
            {
                "name": "secondary",
                "kind": "anthropic",
                "api_key": "sk-bench",
                "base_url": fake.anthropic_url("secondary"),
            },
        ],
    )
    await gateway.forget(tenant_id)
    request = CompletionRequest.model_validate(
        {"messages": [{"role": "user", "content": QUESTION}], "cache": False}
    )
    fake.script("primary", Reply.error(401))  # opens the breaker (threshold 1)
    result = await gateway.complete(tenant_id, request)
    assert isinstance(result, Completion) and result.provider == "secondary"
    opened: list[float] = []
    for _ in range(calls):
        start = time.perf_counter()
        result = await gateway.complete(tenant_id, request)
        opened.append(time.perf_counter() - start)
        assert isinstance(result, Completion) and result.provider == "secondary"
    assert len(fake.received("primary")) == 1
    o50, o99 = ms(opened)
    return [
        [
            "breaker open: call → fallback answer",
            f"{o50:.2f}",
            f"{o99:.2f}",
            f"p99<50 {verdict(o99 < 50)}",
        ]
    ]


def import_time() -> list[list[object]]:
    code = (
        "import time; import frontdesk.runtime; t = time.perf_counter(); "
        "import frontdesk.llm; print(time.perf_counter() - t)"
    )
    total = (
        "import time; t = time.perf_counter(); import frontdesk.llm; print(time.perf_counter() - t)"
    )
    env = {"PYTHONPATH": str(ROOT / "src")}
    own = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    ]
    cold = [
        float(
            subprocess.run(
                [sys.executable, "-c", total], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    ]
    return [
        [
            "import frontdesk.llm (after frontdesk.runtime)",
            f"{statistics.median(own) * 1000:.1f}",
            "",
            "no SDK imported",
        ],
        [
            "import frontdesk.llm (cold interpreter)",
            f"{statistics.median(cold) * 1000:.1f}",
            "",
            "",
        ],
    ]


async def main(calls: int, entries: int) -> None:
    fake = FakeProvider().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings, db, keyring, tenant_id = await setup(Path(tmp), fake)
            await configure(
                db,
                keyring,
                settings,
                tenant_id,
                [
                    {
                        "name": "primary",
                        "kind": "openai",
                        "api_key": "sk-bench",
                        "base_url": fake.openai_url("primary"),
                    }
                ],
            )
            gateway = LLMGateway(db, keyring, settings, Metrics())
            rows = await overhead(gateway, fake, tenant_id, calls)
            rows += await cache_lookup(gateway, db, tenant_id, entries)
            fake.reset()
            rows += await failover(gateway, fake, db, keyring, settings, tenant_id, calls // 5)
            await gateway.aclose()
            await db.dispose()
    finally:
        fake.stop()
    rows += import_time()
    print(table("LLM gateway (ms)", ["what", "p50", "p99", "target / note"], rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--entries", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.entries))
