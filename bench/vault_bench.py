"""Vault decrypt path latency: token check + data-key unwrap + AES-GCM decrypt (+ audit row).

On a fresh SQLite database (``synchronous=FULL``, a WAL checkpoint every 4,000 pages: as
shipped) with one tenant and one API-key credential, for each of N iterations a token is minted
(not timed), then the timed call is ``frontdesk.vault.tokens.redeem``: one write transaction on
a bare connection (``Database.tenant_conn``, no ORM session) that consumes the token (an
UPDATE … RETURNING that loads the credential and its current version too), decrypts it, writes
the audit row and counts the last minute's decrypts (one INSERT … RETURNING; a trigger counts
the use), then commits. Variants:

- **redeem, warm**: the process's key ring has the tenant's data key unwrapped already (steady
  state of a running server);
- **redeem, cold**: a new key ring for every call, so the data key is unwrapped with the master
  key each time too;
- **reveal**: the internal callers' path (the use counted and read, a token stored already used,
  the decrypt audited: one transaction).

Baselines, same run: the raw ``AESGCM.decrypt`` of the same ciphertext with the unwrapped key
(the cryptography alone), and the floor of any durable, audited path: one write transaction
through the same ``Database`` that inserts one row and commits.
With ``FRONTDESK_BENCH_POSTGRES_URL`` set the redeem variants also run on PostgreSQL (its
``public`` schema is dropped and recreated first).

The SQLite runs go twice: as a library (the process's garbage collector as Python sets it),
then as in ``frontdesk serve`` (``heap.manage()``, and ``heap.settle()`` after the warm-up).
The target's verdict is on the second, the shape the decrypt path runs in.

Latencies are wall time; "cpu ms" is the process's CPU time per call (all threads, the SQLite
driver's included), which a machine busy with other work inflates far less.

Run: ``.venv/bin/python bench/vault_bench.py [--iterations N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from common import percentile, table, verdict
from frontdesk.core import heap
from frontdesk.core.crypto import KeyRing
from frontdesk.core.logging import configure_logging
from frontdesk.core.migrate import migrate
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.tenants.service import create_tenant
from frontdesk.vault import tokens
from frontdesk.vault.audit import Actor
from frontdesk.vault.schemas import CredentialCreate
from frontdesk.vault.service import Vault

TARGET_P99_MS = 2.0
ACTOR = Actor("bench", "127.0.0.1", "vault-bench")


CPU: dict[int, float] = {}  # id(samples) -> process CPU seconds per call


def row(name: str, samples: list[float], raw_p50: float, floor_p50: float) -> list[object]:
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    return [
        name,
        len(samples),
        f"{p50 * 1e3:.3f}",
        f"{p99 * 1e3:.3f}",
        f"{statistics.fmean(samples) * 1e3:.3f}",
        f"{CPU[id(samples)] * 1e3:.3f}",
        f"{p50 / raw_p50:.0f}x",
        f"{p50 / floor_p50:.2f}x",
    ]


async def timed(
    n: int, prepare: Callable[[], Awaitable[object]], call: Callable[[object], Awaitable[object]]
) -> list[float]:
    samples = []
    cpu = 0.0
    for _ in range(n):
        arg = await prepare()
        cpu_start, start = time.process_time(), time.perf_counter()
        await call(arg)
        samples.append(time.perf_counter() - start)
        cpu += time.process_time() - cpu_start
    CPU[id(samples)] = cpu / n
    return samples


async def run(settings: Settings, n: int) -> tuple[list[list[object]], float]:
    await migrate(settings)
    runtime = Runtime.create(settings)
    vault = Vault.of(runtime)
    async with runtime.db.system_session() as session:
        tenant = await create_tenant(session, f"bench-{os.getpid()}-{time.monotonic_ns()}")
    cred = await vault.create(
        tenant.id,
        ACTOR,
        CredentialCreate(name="crm", type="api_key", value={"key": "sk_live_" + "4" * 40}),
    )

    async def mint() -> object:
        return (await tokens.mint(vault, tenant.id, ACTOR, cred.id, "bench", "benchmark")).token

    async def redeem(token: object) -> object:
        return await tokens.redeem(vault, tenant.id, ACTOR, str(token), "bench")

    master = base64.b64decode(settings.master_key.get_secret_value())  # type: ignore[union-attr]

    async def redeem_cold(token: object) -> object:
        vault.keyring = KeyRing(master)
        return await redeem(token)

    async def nothing() -> object:
        return None

    async def reveal(_: object) -> object:
        return await tokens.reveal(vault, tenant.id, cred.id, "bench", "benchmark", ACTOR)

    # Baseline: the same ciphertext, decrypted with the bare AES-GCM primitive.
    async with runtime.db.tenant_session(tenant.id) as session:
        blob = await session.scalar(
            text("SELECT ciphertext FROM vault_credential_versions WHERE credential_id = :c"),
            {"c": cred.id},
        )
        key_id, key = await vault.keyring._active_key(session, tenant.id)
    aead, nonce, body = key, blob[17:29], blob[29:]
    aad = tenant.id.encode() + b"|" + f"vault:{cred.id}:1".encode()
    raw = []
    cpu_start = time.process_time()
    for _ in range(n):
        start = time.perf_counter()
        aead.decrypt(nonce, body, aad)
        raw.append(time.perf_counter() - start)
    CPU[id(raw)] = (time.process_time() - cpu_start) / n

    async with runtime.db.system_tx() as session:
        await session.execute(text("CREATE TABLE bench_floor (id INTEGER, at TEXT)"))

    async def floor(_: object) -> object:
        async with runtime.db.tenant_tx(tenant.id) as session:
            await session.execute(text("INSERT INTO bench_floor VALUES (1, 'x')"))
        return None

    await timed(min(200, n), mint, redeem)  # warm-up
    heap.settle()  # as a server process does once started (a no-op unless heap.manage() ran)
    floors = await timed(n, nothing, floor)
    warm = await timed(n, mint, redeem)
    cold = await timed(n, mint, redeem_cold)
    vault.keyring = KeyRing(master)
    both = await timed(n, nothing, reveal)
    await runtime.db.dispose()
    base, low = percentile(raw, 50), percentile(floors, 50)
    rows = [
        row("raw AES-GCM decrypt (baseline)", raw, base, low),
        row("one-row write transaction (floor)", floors, base, low),
        row("redeem, warm key ring", warm, base, low),
        row("redeem, cold (unwrap each call)", cold, base, low),
        row("reveal (internal callers)", both, base, low),
    ]
    return rows, percentile(warm, 99)


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(Settings(database_url=url).db_url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()
    configure_logging("WARNING", json=True)
    master = base64.b64encode(os.urandom(32)).decode()
    header = ["path", "n", "p50 ms", "p99 ms", "mean ms", "cpu ms", "p50/raw", "p50/floor"]
    for title in ("as a library", "in a server process: heap settled, see core/heap.py"):
        if title.startswith("in a server"):
            heap.manage()
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp), master_key=master, env="test")
            rows, p99 = asyncio.run(run(settings, args.iterations))
        print(
            table(
                f"Vault decrypt path on SQLite (synchronous=FULL), {args.iterations} calls each,"
                f" {title}",
                header,
                rows,
            )
        )
    print(
        f"target: redeem (warm) p99 < {TARGET_P99_MS} ms: {p99 * 1e3:.3f} ms "
        f"{verdict(p99 * 1e3 < TARGET_P99_MS)}"
    )
    print(f"load average while running: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    url = os.environ.get("FRONTDESK_BENCH_POSTGRES_URL")
    if url:
        asyncio.run(reset_postgres(url))
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp), master_key=master, database_url=url, env="test")
            rows, p99 = asyncio.run(run(settings, args.iterations))
        print()
        print(
            table(f"Vault decrypt path on PostgreSQL, {args.iterations} calls each", header, rows)
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
