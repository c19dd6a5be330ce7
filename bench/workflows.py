"""Workflow engine figures: per-step overhead in memory, and webhook-triggered runs per second.

1. ``overhead``: the interpreter advances a 100-node chain of no-op nodes (their own work is
   nothing) 300 times; per-step time p50/p99, against calling the same node's ``run`` directly
   in the same loop (the baseline). Also a chain of ``set`` nodes (expression work included).
2. ``throughput``: ``frontdesk migrate`` + ``demo`` + ``serve`` (embedded shape: SQLite, one
   process, in-process workers) with the Telegram API pointed at a local fake; a 5-node workflow
   (webhook → condition → set → send_message → end) is deployed; a load generator in its own
   process posts signed webhooks (an order confirmation for one of ``--recipients`` Telegram
   chats: the first message to a chat starts its conversation) from ``--concurrency`` clients
   for ``--seconds``; each answer is the completed run. The send jobs then drain to the fake.
   ``bench/bare_app.py`` (FastAPI, no database) is loaded the same way in the same run: the
   ceiling. Prints executions/s, p50/p99, peak RSS and the deliveries the fake received.

Run: ``.venv/bin/python bench/workflows.py [--seconds 15] [--concurrency 32]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from common import BIN, HOST, ROOT, Server, free_port, percentile, table, verdict

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
from tests.channels.fake_provider import FakeProvider  # noqa: E402

from frontdesk.core.clock import utcnow  # noqa: E402
from frontdesk.workflows.engine import Graph, Interpreter, new_state  # noqa: E402
from frontdesk.workflows.fakes import SimulatedEffects  # noqa: E402
from frontdesk.workflows.nodes.base import Node, Result, Step  # noqa: E402
from frontdesk.workflows.nodes.registry import NODES  # noqa: E402
from frontdesk.workflows.triggers import sign  # noqa: E402

RAISED = {
    "FRONTDESK_WEBHOOK_RATE_PER_TENANT": "1000000",
    "FRONTDESK_WEBHOOK_BURST_PER_TENANT": "1000000",
    "FRONTDESK_PUBLIC_RATE_PER_IP": "1000000",
    "FRONTDESK_PUBLIC_BURST_PER_IP": "1000000",
}


class Noop(Node):
    """Does nothing: what is left of a step is the engine's own work."""

    type = "noop"

    async def run(self, step: Step) -> Result:
        return Result()


REGISTRY: dict[str, Node] = {**NODES, "noop": Noop()}


def chain(kind: str, length: int) -> dict[str, Any]:
    data = {"assignments": [{"name": "x", "mode": "expression", "value": "input.n + 1"}]}
    nodes = (
        [{"id": "s", "type": "start"}]
        + [
            {"id": f"n{i}", "type": kind, "data": data if kind == "set" else {}}
            for i in range(length)
        ]
        + [{"id": "e", "type": "end"}]
    )
    ids = [n["id"] for n in nodes]
    pairs = zip(ids, ids[1:], strict=False)
    edges = [{"id": f"e{i}", "source": a, "target": b} for i, (a, b) in enumerate(pairs)]
    return {"nodes": nodes, "edges": edges}


async def overhead(kind: str, length: int = 100, rounds: int = 300) -> dict[str, float]:
    """Per-step time of the interpreter vs the node's own ``run``, in microseconds."""
    graph = Graph.build(chain(kind, length), REGISTRY)
    node = REGISTRY[kind]
    per_step, direct = [], []
    for _ in range(rounds):
        run = Interpreter(
            graph,
            REGISTRY,
            new_state({}, graph.start),
            SimulatedEffects(),
            instance={"id": "bench", "input": {"n": 1}},
            tenant_id="t",
            now=utcnow(),
        )
        started = time.perf_counter()
        await run.advance()
        per_step.append((time.perf_counter() - started) / (length + 2) * 1e6)
        step = run._step({"id": "t1"}, graph.nodes["n0"])
        started = time.perf_counter()
        for _ in range(length + 2):
            await node.run(step)
        direct.append((time.perf_counter() - started) / (length + 2) * 1e6)
    p50, p99, own = percentile(per_step, 50), percentile(per_step, 99), percentile(direct, 50)
    return {"p50": p50, "p99": p99, "own": own, "overhead": p50 - own}


def start_frontdesk(folder: Path, fake: FakeProvider) -> tuple[Server, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "FRONTDESK_DATABASE_URL"}
    env.update(
        RAISED,
        FRONTDESK_DATA_DIR=str(folder / "data"),
        FRONTDESK_LOG_LEVEL="WARNING",
        FRONTDESK_PUBLIC_BASE_URL=f"http://{HOST}:{port}",
        FRONTDESK_CHANNEL_API_URLS=json.dumps({"telegram": fake.url}),
        FRONTDESK_HTTP_ALLOWED_HOSTS=json.dumps([fake.hostport]),
    )
    key = ""
    for command in ("migrate", "demo"):
        done = subprocess.run(
            [str(BIN / "frontdesk"), command],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode:
            raise RuntimeError(f"frontdesk {command} failed:\n{done.stderr}")
        key = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else key
    args = [str(BIN / "frontdesk"), "serve", "--host", HOST, "--port", str(port)]
    server = Server("frontdesk", args, port, env, folder / "frontdesk.log")
    server.wait_ready()
    return server, key


def deploy(base: str, key: str) -> tuple[str, str]:
    """A Telegram channel and the 5-node workflow, active; returns (webhook path, secret)."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        channel = (
            client.post(
                "/api/v1/channels",
                json={
                    "type": "telegram",
                    "name": "bench",
                    "config": {},
                    "credentials": {"bot_token": "123456:ABC-DEF"},
                },
            )
            .raise_for_status()
            .json()
        )
        definition = {
            "nodes": [
                {"id": "start", "type": "start"},
                {
                    "id": "check",
                    "type": "condition",
                    "data": {
                        "rules": {
                            "logical": "AND",
                            "conditions": [
                                {"field": "input.amount", "operator": "greater", "value": 10}
                            ],
                        }
                    },
                },
                {
                    "id": "set",
                    "type": "set",
                    "data": {
                        "assignments": [
                            {
                                "name": "greeting",
                                "mode": "template",
                                "value": "Order {{ input.order }} confirmed",
                            }
                        ]
                    },
                },
                {
                    "id": "send",
                    "type": "send_message",
                    "data": {
                        "text": "{{ vars.greeting }}",
                        "conversation_id": None,
                        "channel_id": channel["id"],
                        "recipient": "{{ input.chat }}",
                    },
                },
                {
                    "id": "end",
                    "type": "end",
                    "data": {"output": {"sent": "{{ nodes.send.message_id }}"}},
                },
            ],
            "edges": [
                {"id": "a", "source": "start", "target": "check"},
                {"id": "b", "source": "check", "target": "set", "sourceHandle": "true"},
                {"id": "c", "source": "check", "target": "end", "sourceHandle": "false"},
                {"id": "d", "source": "set", "target": "send"},
                {"id": "e", "source": "send", "target": "end"},
            ],
            "triggers": [{"type": "webhook"}],
        }
        wid = (
            client.post("/api/v1/workflows", json={"name": "bench", "definition": definition})
            .raise_for_status()
            .json()["id"]
        )
        vid = (
            client.post(f"/api/v1/workflows/{wid}/versions", json={})
            .raise_for_status()
            .json()["id"]
        )
        client.post(
            f"/api/v1/workflows/{wid}/activate", json={"version_id": vid}
        ).raise_for_status()
        hook = client.post(f"/api/v1/workflows/{wid}/webhook-secret").raise_for_status().json()
    return "/" + hook["url"].split("/", 3)[3], hook["secret"]


async def load(
    base: str, path: str, secret: str | None, seconds: float, concurrency: int, recipients: int
) -> dict[str, Any]:
    """POST for ``seconds`` from ``concurrency`` clients; latencies of successful answers."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = itertools.count(int(time.time() * 1000))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:
        deadline = time.perf_counter() + seconds

        async def user() -> None:
            while time.perf_counter() < deadline:
                n = next(counter)
                if secret is None:
                    body, headers = orjson.dumps({"text": f"order {n}"}), {}
                else:
                    body = orjson.dumps({"order": n, "amount": 50, "chat": n % recipients})
                    headers = {"X-Frontdesk-Signature": sign(secret, body, int(time.time()))}
                started = time.perf_counter()
                r = await client.post(
                    path, content=body, headers={**headers, "Content-Type": "application/json"}
                )
                elapsed = time.perf_counter() - started
                ok = r.status_code in (200, 202) and (
                    secret is None or r.json()["status"] == "completed"
                )
                if ok:
                    latencies.append(elapsed)
                else:
                    errors[str(r.status_code)] = errors.get(str(r.status_code), 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(user() for _ in range(concurrency)))
        took = time.perf_counter() - started
    return {"latencies": latencies, "errors": errors, "seconds": took}


def _child(args: tuple[Any, ...], out: Any) -> None:
    out.put(asyncio.run(load(*args)))


def run_load(*args: Any) -> dict[str, Any]:
    """The load generator in its own process."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_child, args=(args, out))
    proc.start()
    result: dict[str, Any] = out.get(timeout=args[3] + 120)
    proc.join(timeout=30)
    return result


def drain(fake: FakeProvider, expected: int, timeout: float = 300.0) -> float:
    started = time.monotonic()
    while len(fake.requests) < expected and time.monotonic() - started < timeout:
        time.sleep(0.1)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--recipients", type=int, default=1000)
    args = parser.parse_args()

    rows = []
    for kind in ("noop", "set"):
        o = asyncio.run(overhead(kind))
        rows.append(
            [kind, f"{o['p50']:.1f}", f"{o['p99']:.1f}", f"{o['own']:.1f}", f"{o['overhead']:.1f}"]
        )
    print(
        table(
            "Interpreter, 100-node chain, µs per step (300 runs)",
            ["node", "p50", "p99", "node's own run", "engine overhead p50"],
            rows,
        )
    )
    engine_overhead_ms = float(rows[0][4]) / 1000

    fake = FakeProvider().start()
    tmp = Path(tempfile.mkdtemp(prefix="fd-bench-wf-"))
    try:
        port = free_port()
        bare = Server(
            "bare",
            [
                str(BIN / "python"),
                str(ROOT / "bench" / "bare_app.py"),
                "--host",
                HOST,
                "--port",
                str(port),
            ],
            port,
            dict(os.environ),
            tmp / "bare.log",
        )
        bare.wait_ready("/docs")
        ceiling = run_load(
            bare.url,
            "/api/v1/webchat/sessions/x/messages",
            None,
            args.seconds,
            args.concurrency,
            args.recipients,
        )
        bare.stop()
        server, key = start_frontdesk(tmp, fake)
        try:
            path, secret = deploy(server.url, key)
            result = run_load(
                server.url, path, secret, args.seconds, args.concurrency, args.recipients
            )
            runs = len(result["latencies"])
            drained = drain(fake, runs)
            rss = server.peak_rss()
        finally:
            server.stop()
    finally:
        fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    out = []
    for name, r in (("bare FastAPI", ceiling), ("5-node workflow", result)):
        lat = r["latencies"]
        out.append(
            [
                name,
                len(lat),
                f"{len(lat) / r['seconds']:.0f}",
                f"{percentile(lat, 50) * 1000:.1f}",
                f"{percentile(lat, 99) * 1000:.1f}",
                json.dumps(r["errors"]) if r["errors"] else "-",
            ]
        )
    rate = runs / result["seconds"]
    ratio = rate / (len(ceiling["latencies"]) / ceiling["seconds"])
    p99 = percentile(result["latencies"], 99) * 1000
    print(
        table(
            f"Webhook → condition → set → send → end, concurrency {args.concurrency}, "
            f"{args.seconds:.0f} s (SQLite, 127.0.0.1)",
            ["server", "answers", "per s", "p50 ms", "p99 ms", "errors"],
            out,
        )
    )
    print(f"executions/s: {rate:.0f}  (ratio to the bare ceiling {ratio:.3f})")
    print(f"target >= 500 executions/s: {verdict(rate >= 500)}")
    print(f"p99: {p99:.1f} ms  (target < 100 ms: {verdict(p99 < 100)})")
    print(f"peak RSS: {rss / 2**20:.0f} MB  (target < 600 MB: {verdict(rss < 600 * 2**20)})")
    print(f"deliveries at the fake Telegram API: {len(fake.requests)} of {runs}")
    print(f"the send jobs drained {drained:.1f} s after the load")
    ok = verdict(engine_overhead_ms < 2)
    print(f"engine overhead per step p50: {engine_overhead_ms:.4f} ms  (target < 2 ms: {ok})")


if __name__ == "__main__":
    main()
