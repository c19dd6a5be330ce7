"""Cost of a workflow HTTP action's effect, against a bare httpx call to the same local server.

A local uvicorn server (a subprocess on 127.0.0.1: a server thread in the same process would
share the GIL with the client's loop) answers ``POST /echo`` with a small JSON body. On a fresh
SQLite database with one tenant and one ``api_key`` credential, N sequential calls of each
variant are timed:

- **bare httpx**: a plain ``httpx.AsyncClient`` POST (the baseline);
- **safe_client**: the same through the SSRF-guarded client (address check per request);
- **LiveEffects.http**: the effect as the engine calls it, inside a read transaction (guard,
  ``Idempotency-Key``, streamed capped read, JSON parsing, status classification);
- **LiveEffects.http + vault**: the same with a bearer credential read and decrypted per call;
- **SimulatedEffects.http**: the simulator's recorded fake (no I/O).

Run: ``.venv/bin/python bench/workflow_effects.py [--iterations N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from common import Server, free_port, percentile, table
from frontdesk.core.http import safe_client
from frontdesk.core.logging import configure_logging
from frontdesk.core.migrate import migrate
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from frontdesk.tenants.service import create_tenant
from frontdesk.vault.audit import Actor
from frontdesk.vault.schemas import CredentialCreate
from frontdesk.vault.service import Vault
from frontdesk.workflows.effects import LiveEffects, close_http_client
from frontdesk.workflows.fakes import SimulatedEffects
from frontdesk.workflows.nodes.base import HttpCall, Step


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True, "size": len(await request.body())})


def serve(port: int) -> None:
    """The echo server (the ``--serve PORT`` mode of this script)."""
    app = Starlette(routes=[Route("/echo", echo, methods=["GET", "POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


def start_server(log: Path) -> Server:
    port = free_port()
    args = [sys.executable, __file__, "--serve", str(port)]
    server = Server("echo", args, port, dict(os.environ), log)
    server.wait_ready("/echo")
    return server


async def timed(n: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    for _ in range(min(20, n)):  # warm-up: connections, key ring, caches
        await call()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return samples


async def main(iterations: int) -> None:
    configure_logging("WARNING", json=True)
    body = {"order": "A-1", "lines": [{"sku": "S1", "qty": 2}]}
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "echo.log")
        hostport = server.url.removeprefix("http://")
        url = f"{server.url}/echo"
        master = base64.b64encode(os.urandom(32)).decode()
        settings = Settings(
            data_dir=Path(tmp), master_key=master, env="test", http_allowed_hosts=[hostport]
        )
        await migrate(settings)
        runtime = Runtime.create(settings)
        async with runtime.db.system_session() as session:
            tenant = await create_tenant(session, "bench")
        cred = await Vault.of(runtime).create(
            tenant.id,
            Actor("bench"),
            CredentialCreate(name="api", type="api_key", value={"key": "tok-bench-0000000"}),
        )

        def step(effects: Any) -> Step:
            return Step("n1", None, {}, effects, "run:n1:1", tenant.id, "run", datetime.now(UTC))

        async def live(credential: str | None) -> None:
            session = runtime.db.tenant_session(tenant.id)
            async with runtime.db.transaction(session, write=False):
                effects = LiveEffects(runtime, session, tenant.id)
                call = HttpCall("POST", url, {}, body, credential_id=credential, auth="bearer")
                await effects.http(step(effects), call)

        simulated = SimulatedEffects()
        async with httpx.AsyncClient() as bare, safe_client(settings) as guarded:
            rows = []
            variants: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
                ("bare httpx", lambda: bare.post(url, json=body)),
                ("safe_client", lambda: guarded.post(url, json=body)),
                ("LiveEffects.http", lambda: live(None)),
                ("LiveEffects.http + vault", lambda: live(cred.id)),
                (
                    "SimulatedEffects.http",
                    lambda: simulated.http(step(simulated), HttpCall("POST", url, {}, body)),
                ),
            ]
            baseline = 0.0
            for name, call in variants:
                samples = await timed(iterations, call)
                p50 = percentile(samples, 50)
                baseline = baseline or p50
                p99 = percentile(samples, 99)
                ratio = f"{p50 / baseline:.2f}x"
                rows.append([name, len(samples), f"{p50 * 1e3:.3f}", f"{p99 * 1e3:.3f}", ratio])
        header = ["variant", "n", "p50 ms", "p99 ms", "p50 vs bare"]
        print(table("workflow HTTP effect, sequential calls to 127.0.0.1", header, rows))
        await close_http_client(runtime)
        await runtime.db.dispose()
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        serve(options.serve)
    else:
        asyncio.run(main(options.iterations))
