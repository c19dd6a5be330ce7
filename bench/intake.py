"""Web chat intake on the embedded shape (SQLite): durable acks/s, ack latency, drain, end to end.

Phases, all against 127.0.0.1 only:

1. ``bare``: ``bench/bare_app.py`` under uvicorn (uvloop, httptools, one process), loaded by wrk.
2. ``frontdesk``: ``frontdesk migrate`` + ``demo`` + ``serve`` in a fresh temp data dir, loaded
   by the same wrk script: 32 connections posting messages over many web chat sessions.
3. ``drain``: wait until ``/readyz`` shows no waiting, queued or running job; count dead
   letters, and check in the SQLite file that every stored message was processed.
4. ``e2e``: 32 virtual customers, each in its own session with its SSE stream open, post a FAQ
   question and wait until the bot's reply arrives on the stream, then post the next.

Run: ``.venv/bin/python bench/intake.py`` (see ``--help``); it needs ``wrk`` (``apt-get install
wrk``). It prints a summary table with the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import json
import math
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvloop
from prometheus_client.parser import text_string_to_metric_families

from common import (
    BIN,
    HOST,
    Server,
    backlog,
    free_port,
    http_json,
    percentile,
    queue_depth,
    start_frontdesk,
    table,
    verdict,
)
from frontdesk.demo import FAQ

BENCH = Path(__file__).resolve().parent
UNMATCHED = [
    "My parcel arrived with a scratch on the lid, what can you do?",
    "Hi, I'd like to speak to someone about a bulk order for my company",
    "The app keeps crashing when I open my wishlist",
    "Do you have this jacket in dark green?",
]
REPLY_TIMEOUT = 10.0  # seconds a customer waits for the bot's reply
RAISED_LIMITS = {
    f"FRONTDESK_PUBLIC_{k}": "1000000000"
    for k in ("RATE_PER_IP", "BURST_PER_IP", "RATE_PER_TENANT", "BURST_PER_TENANT")
}


def faq_texts() -> list[str]:
    """Every phrasing of every demo FAQ entry (each is answered by the FAQ handler)."""
    return [p for question, alternates, _, _ in FAQ for p in (question, *alternates)]


@dataclass
class LoadResult:
    """What one wrk run measured, plus the server's CPU use over it."""

    requests: int
    accepted: int
    other_status: int
    socket_errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_cores: float

    @property
    def rate(self) -> float:
        """Acknowledged (202) messages per second."""
        return self.accepted / self.seconds


def run_wrk(
    url: str, sessions: Path, bodies: Path, seconds: int, connections: int, threads: int
) -> dict[str, Any]:
    """One wrk run; return the JSON that webchat.lua's ``done()`` printed."""
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(BENCH / "webchat.lua"),
            url,
            "--",
            str(sessions),
            str(bodies),
            str(threads),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    for line in out.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("WRK_RESULT "))
            return result
    raise RuntimeError(f"no result from wrk:\n{out.stdout}\n{out.stderr}")


def load(server: Server, sessions: Path, bodies: Path, args: argparse.Namespace) -> LoadResult:
    """A warm-up run, then the measured run."""
    run_wrk(server.url, sessions, bodies, args.warmup, args.connections, args.threads)
    cpu = server.cpu_seconds()
    r = run_wrk(server.url, sessions, bodies, args.seconds, args.connections, args.threads)
    seconds = r["duration_us"] / 1e6
    ms = {k: r[f"{k}_us"] / 1e3 if r["requests"] else math.nan for k in ("p50", "p99", "max")}
    return LoadResult(
        requests=r["requests"],
        accepted=r["accepted"],
        other_status=r["other_status"],
        socket_errors=r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"],
        seconds=seconds,
        p50_ms=ms["p50"],
        p99_ms=ms["p99"],
        max_ms=ms["max"],
        cpu_cores=(server.cpu_seconds() - cpu) / seconds,
    )


def write_inputs(folder: Path, name: str, sessions: list[tuple[str, str]]) -> Path:
    """A sessions file for webchat.lua: one ``session_id token`` per line."""
    path = folder / f"{name}-sessions.txt"
    path.write_text("".join(f"{sid} {token}\n" for sid, token in sessions))
    return path


def write_bodies(folder: Path) -> Path:
    """Message bodies for webchat.lua: three FAQ questions for each unmatched text."""
    texts: list[str] = []
    for i, question in enumerate(faq_texts()):
        texts.append(question)
        if i % 3 == 2:
            texts.append(UNMATCHED[i // 3 % len(UNMATCHED)])
    path = folder / "bodies.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    return path


def open_sessions(base: str, count: int) -> list[tuple[str, str]]:
    """``count`` new web chat sessions of the demo tenant."""
    sessions = []
    for _ in range(count):
        body = http_json(f"{base}/api/v1/webchat/demo/sessions", "POST")
        sessions.append((body["session_id"], body["token"]))
    return sessions


def drain(base: str, limit: float) -> tuple[float, dict[str, int], dict[str, int]]:
    """Wait until no job is left unfinished; return (seconds, depth at start, at end)."""
    started = time.monotonic()
    first = depth = queue_depth(base)
    while backlog(depth) and time.monotonic() - started < limit:
        time.sleep(0.2)
        with contextlib.suppress(OSError):  # /readyz can be slow while the pool is starved
            depth = queue_depth(base, timeout=max(1.0, limit - (time.monotonic() - started)))
    return time.monotonic() - started, first, depth


def server_counters(base: str) -> dict[str, float]:
    """From ``/metrics``: job outcomes, and answers to message posts by status class."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=30) as r:
        text = r.read().decode()
    counters: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "frontdesk_jobs_total":
                key = f"jobs_{labels['outcome']}"
            elif (
                sample.name == "frontdesk_http_requests_total"
                and labels["method"] == "POST"
                and labels["route"].endswith("/messages")
            ):
                key = f"post_{labels['status'][0]}xx"
            else:
                continue
            counters[key] = counters.get(key, 0) + sample.value
    return counters


def stored_counts(db_file: Path) -> dict[str, int]:
    """Raw messages, inbound messages recorded, and jobs by status, read from the SQLite file."""
    conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        counts = {
            "raw_messages": conn.execute("SELECT count(*) FROM raw_messages").fetchone()[0],
            "inbound": conn.execute(
                "SELECT count(*) FROM messages WHERE direction = 'in'"
            ).fetchone()[0],
        }
        for status, n in conn.execute("SELECT status, count(*) FROM jobs GROUP BY status"):
            counts[f"jobs_{status}"] = n
        return counts
    finally:
        conn.close()


@dataclass
class E2EResult:
    """Post → bot reply visible on the SSE stream."""

    latencies: list[float] = field(default_factory=list)
    timeouts: int = 0
    seconds: float = 0.0
    broken_streams: list[str] = field(default_factory=list)  # why a customer's stream ended


class Customer:
    """A visitor with the session's SSE stream open, as the widget has it."""

    def __init__(
        self, post: httpx.AsyncClient, stream: httpx.AsyncClient, session: tuple[str, str]
    ) -> None:
        self._post, self._stream = post, stream
        self._id, self._token = session
        self._replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._listener: asyncio.Task[None] | None = None
        self.broken: str | None = None

    async def _listen(self) -> None:
        try:
            async with self._stream.stream(
                "GET", f"/api/v1/webchat/sessions/{self._id}/stream", params={"token": self._token}
            ) as r:
                if r.status_code != 200:
                    self.broken = f"stream answered {r.status_code}"
                    return
                async for line in r.aiter_lines():
                    if line.startswith("data: "):
                        message = json.loads(line.removeprefix("data: "))
                        if message["direction"] == "out":
                            self._replies.put_nowait(message)
            self.broken = "stream ended"
        except httpx.HTTPError as e:
            self.broken = f"stream failed: {e!r}"

    def open(self) -> None:
        """Start listening on the stream."""
        self._listener = asyncio.create_task(self._listen())

    async def exchange(self, text: str) -> float | None:
        """Post ``text``; the seconds until its reply arrived, or None after REPLY_TIMEOUT."""
        started = time.perf_counter()
        r = await self._post.post(
            f"/api/v1/webchat/sessions/{self._id}/messages",
            headers={"Authorization": f"Bearer {self._token}"},
            json={"text": text},
        )
        if r.status_code != 202:
            raise RuntimeError(f"post answered {r.status_code}: {r.text}")
        message_id = r.json()["message_id"]
        try:
            async with asyncio.timeout(REPLY_TIMEOUT):
                while (await self._replies.get())["reply_to_id"] != message_id:
                    pass
        except TimeoutError:
            return None
        return time.perf_counter() - started

    async def close(self) -> None:
        """Stop listening."""
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)


async def e2e(base: str, sessions: list[tuple[str, str]], seconds: float) -> E2EResult:
    """Every customer exchanges one warm-up message, then all loop for ``seconds``."""
    texts = faq_texts()
    result = E2EResult()
    limits = httpx.Limits(max_connections=len(sessions), max_keepalive_connections=len(sessions))
    async with (
        httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as post,
        httpx.AsyncClient(
            base_url=base, limits=limits, timeout=httpx.Timeout(30.0, read=None)
        ) as stream,
    ):
        customers = [Customer(post, stream, s) for s in sessions]
        for c in customers:
            c.open()
        await asyncio.gather(*(c.exchange(texts[0]) for c in customers))  # warm-up
        deadline = time.perf_counter() + seconds

        async def visit(c: Customer, offset: int) -> None:
            for i in itertools.count(offset):
                if time.perf_counter() >= deadline:
                    return
                latency = await c.exchange(texts[i % len(texts)])
                if latency is None:
                    result.timeouts += 1
                else:
                    result.latencies.append(latency)

        started = time.perf_counter()
        try:
            await asyncio.gather(*(visit(c, i) for i, c in enumerate(customers)))
        finally:
            result.seconds = time.perf_counter() - started
            result.broken_streams = [c.broken for c in customers if c.broken]
            await asyncio.gather(*(c.close() for c in customers))
    return result


def serve_bare(folder: Path, port: int) -> Server:
    """The baseline app, served as ``frontdesk serve`` serves Frontdesk."""
    args = [str(BIN / "python"), str(BENCH / "bare_app.py"), "--host", HOST, "--port", str(port)]
    return Server("bare", args, port, dict(os.environ), folder / "bare.log")


@dataclass
class Findings:
    """Everything measured in one run, for the report."""

    bare: LoadResult
    fd: LoadResult
    rss_after_load: int
    rss_peak: int
    drain_s: float
    backlog: int
    depth: dict[str, int]
    stored: dict[str, int]
    counters: dict[str, float]
    e2e: E2EResult
    e2e_cpu: float
    e2e_fresh: bool  # the e2e phase ran on a fresh server (the first one was not drained)


def serve_frontdesk(folder: Path, name: str) -> tuple[Server, Path]:
    """The embedded shape with its data in ``folder/name``, rate limits raised."""
    server, _ = start_frontdesk(folder, RAISED_LIMITS, name)
    return server, folder / name


def run_e2e(server: Server, args: argparse.Namespace) -> tuple[E2EResult, float]:
    """The end-to-end phase on ``server``; also return the server's CPU use (cores)."""
    print(f"e2e: {args.customers} customers for {args.e2e_seconds:g} s", flush=True)
    customers = open_sessions(server.url, args.customers)
    cpu = server.cpu_seconds()
    result = uvloop.run(e2e(server.url, customers, args.e2e_seconds))
    for reason, n in collections.Counter(result.broken_streams).items():
        print(f"e2e: {n} stream(s): {reason}", flush=True)
    return result, (server.cpu_seconds() - cpu) / result.seconds


def run_frontdesk(
    folder: Path, bodies: Path, bare: LoadResult, args: argparse.Namespace
) -> Findings:
    """Load Frontdesk, drain it, then the end-to-end phase (on a fresh server if not drained)."""
    fd, data_dir = serve_frontdesk(folder, "frontdesk")
    try:
        sessions = write_inputs(folder, "frontdesk", open_sessions(fd.url, args.sessions))
        print(f"frontdesk: the same load over {args.sessions} sessions", flush=True)
        load_result = load(fd, sessions, bodies, args)
        rss_after_load = fd.peak_rss()
        print("drain: waiting for the queue to empty", flush=True)
        drain_s, first_depth, depth = drain(fd.url, args.drain_timeout)
        stored = stored_counts(data_dir / "frontdesk.db")
        drained = backlog(depth) == 0
        if drained:
            e2e_result, e2e_cpu = run_e2e(fd, args)
        counters, rss_peak = server_counters(fd.url), fd.peak_rss()
    finally:
        fd.stop()
    if not drained:
        print("e2e: the queue is not drained; a fresh server for the e2e phase", flush=True)
        fresh, _ = serve_frontdesk(folder, "frontdesk-e2e")
        try:
            e2e_result, e2e_cpu = run_e2e(fresh, args)
        finally:
            fresh.stop()
    return Findings(
        bare,
        load_result,
        rss_after_load,
        rss_peak,
        drain_s,
        backlog(first_depth),
        depth,
        stored,
        counters,
        e2e_result,
        e2e_cpu,
        e2e_fresh=not drained,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=15, help="measured load per target")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up load per target")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--sessions", type=int, default=64, help="web chat sessions for load")
    parser.add_argument("--customers", type=int, default=32, help="end-to-end customers")
    parser.add_argument("--e2e-seconds", type=float, default=15)
    parser.add_argument("--drain-timeout", type=float, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, db)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")

    folder = Path(tempfile.mkdtemp(prefix="frontdesk-bench-"))
    try:
        bodies = write_bodies(folder)
        fake = [(str(uuid.uuid4()), secrets.token_urlsafe(32)) for _ in range(args.sessions)]
        print(
            f"bare FastAPI: {args.warmup} s warm-up + {args.seconds} s at "
            f"{args.connections} connections",
            flush=True,
        )
        bare = serve_bare(folder, free_port())
        try:
            bare.wait_ready("/docs")
            bare_load = load(bare, write_inputs(folder, "bare", fake), bodies, args)
        finally:
            bare.stop()
        findings = run_frontdesk(folder, bodies, bare_load, args)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    report(args, findings)
    return 0


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def report(args: argparse.Namespace, f: Findings) -> None:
    """Print the summary tables, with the targets."""
    fd, bare = f.fd, f.bare
    ratio = fd.rate / bare.rate
    measured = fd.accepted > 0
    errors = fd.other_status + fd.socket_errors
    rows: list[list[object]] = [
        [
            "acked (202) messages/s",
            f"{fd.rate:,.0f}",
            f"{bare.rate:,.0f}",
            ">= 1,500",
            verdict(fd.rate >= 1500),
        ],
        ["ratio frontdesk / bare", f"{ratio:.3f}", "1", ">= 0.3", verdict(ratio >= 0.3)],
        ["ack latency p50 (ms)", _ms(fd.p50_ms), _ms(bare.p50_ms), "", ""],
        [
            "ack latency p99 (ms)",
            _ms(fd.p99_ms),
            _ms(bare.p99_ms),
            "< 50",
            verdict(measured and fd.p99_ms < 50),
        ],
        ["ack latency max (ms)", _ms(fd.max_ms), _ms(bare.max_ms), "", ""],
        [
            "non-202 answers / socket errors+timeouts",
            f"{fd.other_status} / {fd.socket_errors}",
            f"{bare.other_status} / {bare.socket_errors}",
            "0 / 0",
            verdict(errors == 0),
        ],
        ["server CPU during load (cores)", f"{fd.cpu_cores:.2f}", f"{bare.cpu_cores:.2f}", "", ""],
        [
            "peak RSS after load / at end (MB)",
            f"{f.rss_after_load / 2**20:.0f} / {f.rss_peak / 2**20:.0f}",
            "",
            "< 600",
            verdict(f.rss_peak < 600 * 2**20),
        ],
    ]
    print()
    print(
        table(
            f"Intake: {args.connections} connections, {args.seconds} s measured "
            f"(after {args.warmup} s warm-up), {args.sessions} sessions, SQLite",
            ["metric", "frontdesk", "bare", "target", ""],
            rows,
        )
    )

    stored, c = f.stored, f.counters
    done = stored.get("jobs_done", 0)
    left = backlog(f.depth)
    drained, worked = left == 0, f.backlog - left
    rows = [
        ["backlog when the load stopped (jobs)", f.backlog, "", ""],
        ["drain time (s)", f"{f.drain_s:.1f}", f"<= {args.drain_timeout:g}", verdict(drained)],
        [
            "jobs processed while draining / per second",
            f"{worked:,} / {worked / f.drain_s:,.0f}" if f.drain_s > 0.5 else "-",
            "",
            "",
        ],
        [
            "stored raw messages / jobs done / inbound recorded",
            f"{stored['raw_messages']} / {done} / {stored['inbound']}",
            "all equal",
            verdict(stored["raw_messages"] == done == stored["inbound"]),
        ],
        ["dead letters", f.depth["dead"], "0", verdict(f.depth["dead"] == 0)],
        ["failed job attempts (retried)", f"{c.get('jobs_failed', 0):.0f}", "0", ""],
        [
            "message posts answered 5xx (server side)",
            f"{c.get('post_5xx', 0):.0f}",
            "0",
            verdict(c.get("post_5xx", 0) == 0),
        ],
    ]
    print()
    print(
        table(
            "Processing of everything acknowledged (warm-up + measured load)",
            ["metric", "value", "target", ""],
            rows,
        )
    )

    e2e = f.e2e
    lat = e2e.latencies
    p50, p99 = percentile(lat, 50) * 1e3, percentile(lat, 99) * 1e3
    rows = [
        ["exchanges/s", f"{len(lat) / e2e.seconds:,.1f}", "", ""],
        ["post -> reply visible p50 (ms)", _ms(p50), "< 100", verdict(bool(lat) and p50 < 100)],
        ["post -> reply visible p99 (ms)", _ms(p99), "< 300", verdict(bool(lat) and p99 < 300)],
        ["post -> reply visible max (ms)", _ms(max(lat, default=math.nan) * 1e3), "", ""],
        [
            f"replies not seen within {REPLY_TIMEOUT:g} s",
            e2e.timeouts,
            "0",
            verdict(e2e.timeouts == 0),
        ],
        ["customers whose stream broke", len(e2e.broken_streams), "0", ""],
        ["server CPU (cores)", f"{f.e2e_cpu:.2f}", "", ""],
    ]
    print()
    title = (
        f"End to end: {args.customers} customers (SSE), {e2e.seconds:.0f} s, {len(lat)} exchanges"
    )
    if f.e2e_fresh:
        title += f" -- on a fresh server: the loaded one still had {left:,} jobs unfinished"
    print(table(title, ["metric", "value", "target", ""], rows))


if __name__ == "__main__":
    sys.exit(main())
