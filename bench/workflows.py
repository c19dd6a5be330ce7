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
   A ``--warmup`` run comes first (to other chats, so the measured run still starts its
   conversations), and its send jobs drain before the measured run.
   ``bench/bare_app.py`` (FastAPI, no database) is loaded the same way in the same run (warm-up
   included): the ceiling. Prints executions/s, p50/p99, peak RSS and the deliveries the fake
   received.

The load comes from ``wrk`` (``bench/requests.lua``) cycling over requests signed beforehand
(each signature is valid for the 5-minute window).
Run: ``.venv/bin/python bench/workflows.py [--seconds 15] [--concurrency 32]`` (needs ``wrk``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from common import (
    BIN,
    HOST,
    ROOT,
    Request,
    Server,
    free_port,
    percentile,
    run_wrk,
    start_frontdesk,
    table,
    verdict,
    write_requests,
)

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
from tests.channels.fake_provider import FakeProvider  # noqa: E402

from frontdesk.core.clock import utcnow  # noqa: E402
from frontdesk.workflows.engine import Graph, Interpreter, new_state  # noqa: E402
from frontdesk.workflows.fakes import SimulatedEffects  # noqa: E402
from frontdesk.workflows.nodes.base import Node, Result, Step  # noqa: E402
from frontdesk.workflows.nodes.registry import NODES  # noqa: E402
from frontdesk.workflows.triggers import SIGNATURE_HEADER, sign  # noqa: E402

JSON = {"Content-Type": "application/json"}
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


def start_server(folder: Path, fake: FakeProvider) -> tuple[Server, str]:
    """A fresh Frontdesk with the demo tenant, its Telegram API at the fake; server and key."""
    return start_frontdesk(
        folder,
        {
            **RAISED,
            "FRONTDESK_CHANNEL_API_URLS": json.dumps({"telegram": fake.url}),
            "FRONTDESK_HTTP_ALLOWED_HOSTS": json.dumps([fake.hostport]),
        },
    )


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


def requests_file(
    folder: Path, path: str, secret: str | None, count: int, recipients: int, first: int = 0
) -> Path:
    """``count`` requests for requests.lua, signed now (valid for the 5-minute window).

    They cycle over the chats ``first`` to ``first + recipients - 1``.
    """
    now = int(time.time())

    def build() -> Iterator[Request]:
        for n in range(count):
            if secret is None:
                yield path, JSON, orjson.dumps({"text": f"order {n}"})
                continue
            body = orjson.dumps({"order": n, "amount": 50, "chat": first + n % recipients})
            yield path, {**JSON, SIGNATURE_HEADER: sign(secret, body, now)}, body

    name = f"requests-{'signed' if secret else 'bare'}-{first}.tsv"
    return write_requests(folder / name, build())


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
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load first")
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
    count = 200_000
    try:
        port = free_port()
        args_bare = [
            str(BIN / "python"),
            str(ROOT / "bench" / "bare_app.py"),
            "--host",
            HOST,
            "--port",
            str(port),
        ]
        bare = Server("bare", args_bare, port, dict(os.environ), tmp / "bare.log")
        bare.wait_ready("/docs")
        bare_file = requests_file(tmp, "/api/v1/webchat/sessions/x/messages", None, count, 1)
        run_wrk(bare.url, bare_file, args.warmup, args.concurrency)
        ceiling = run_wrk(bare.url, bare_file, args.seconds, args.concurrency)
        bare.stop()
        server, key = start_server(tmp, fake)
        try:
            path, secret = deploy(server.url, key)
            # The warm-up writes to other chats: the measured run still starts its own
            # conversations. Its send jobs drain before the measured run starts.
            warm = requests_file(tmp, path, secret, count, args.recipients, args.recipients)
            warm_runs = run_wrk(server.url, warm, args.warmup, args.concurrency)["accepted"]
            drain(fake, warm_runs)
            signed = requests_file(tmp, path, secret, count, args.recipients)
            result = run_wrk(server.url, signed, args.seconds, args.concurrency)
            runs = result["accepted"]
            drained = drain(fake, warm_runs + runs)
            delivered = len(fake.requests) - warm_runs
            rss = server.peak_rss()
        finally:
            server.stop()
    finally:
        fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    out = []
    for name, r in (("bare FastAPI", ceiling), ("5-node workflow", result)):
        errors = r["other_status"] + r["timeouts"] + r["read_errors"] + r["connect_errors"]
        out.append(
            [
                name,
                r["accepted"],
                f"{r['accepted'] / (r['duration_us'] / 1e6):.0f}",
                f"{r['p50_us'] / 1000:.1f}",
                f"{r['p99_us'] / 1000:.1f}",
                errors or "-",
            ]
        )
    rate = runs / (result["duration_us"] / 1e6)
    ratio = rate / (ceiling["accepted"] / (ceiling["duration_us"] / 1e6))
    p99 = result["p99_us"] / 1000
    print(
        table(
            f"Webhook → condition → set → send → end, wrk {args.concurrency} connections, "
            f"{args.seconds:.0f} s (SQLite, 127.0.0.1)",
            ["server", "completed", "per s", "p50 ms", "p99 ms", "errors"],
            out,
        )
    )
    print(f"executions/s: {rate:.0f}  (ratio to the bare ceiling {ratio:.3f})")
    print(f"target >= 500 executions/s: {verdict(rate >= 500)}")
    print(f"p99: {p99:.1f} ms  (target < 100 ms: {verdict(p99 < 100)})")
    print(f"peak RSS: {rss / 2**20:.0f} MB  (target < 600 MB: {verdict(rss < 600 * 2**20)})")
    print(f"deliveries at the fake Telegram API: {delivered} of {runs}")
    print(f"the send jobs drained {drained:.1f} s after the load")
    ok = verdict(engine_overhead_ms < 2)
    print(f"engine overhead per step p50: {engine_overhead_ms:.4f} ms  (target < 2 ms: {ok})")


if __name__ == "__main__":
    main()
