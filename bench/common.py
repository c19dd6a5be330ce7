"""Shared helpers for the benchmark scripts: servers as subprocesses, /proc readings, tables."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"  # every request of every bench goes to this machine only
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MODELS = ROOT / "var" / "models"  # the local model's ONNX export, shared by every bench run
os.environ.setdefault("FRONTDESK_MODEL_CACHE_DIR", str(MODELS))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[rank]


class Server:
    """A server subprocess on 127.0.0.1: started, waited for, measured (/proc), stopped."""

    def __init__(
        self, name: str, args: list[str], port: int, env: dict[str, str], log: Path
    ) -> None:
        self.name = name
        self.url = f"http://{HOST}:{port}"
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, path: str = "/healthz", timeout: float = 30.0) -> None:
        """Poll ``path`` until it answers 200, or raise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"{self.name} did not become ready in {timeout} s")

    def _status(self, field: str) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        return 0

    def peak_rss(self) -> int:
        """The process's peak resident set size so far, in bytes (VmHWM)."""
        return self._status("VmHWM")

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self, timeout: float = 25.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited after ``timeout`` seconds."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def start_frontdesk(
    folder: Path, env: dict[str, str], name: str = "frontdesk"
) -> tuple[Server, str]:
    """``frontdesk migrate`` + ``demo`` + ``serve`` with its data in ``folder/name`` and ``env``
    on top of ours (an embedded shape: SQLite); return the ready server and the demo's admin
    API key."""
    port = free_port()
    full = {k: v for k, v in os.environ.items() if k != "FRONTDESK_DATABASE_URL"}
    full.update(
        env,
        FRONTDESK_DATA_DIR=str(folder / name),
        FRONTDESK_LOG_LEVEL="WARNING",
        FRONTDESK_PUBLIC_BASE_URL=f"http://{HOST}:{port}",
    )
    key = ""
    for command in ("migrate", "demo"):
        done = subprocess.run(
            [str(BIN / "frontdesk"), command],
            env=full,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode:
            raise RuntimeError(f"frontdesk {command} failed:\n{done.stderr}")
        key = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else key
    args = [str(BIN / "frontdesk"), "serve", "--host", HOST, "--port", str(port)]
    server = Server(name, args, port, full, folder / f"{name}.log")
    try:
        server.wait_ready()
    except BaseException:
        server.stop()
        raise
    return server, key


def http_json(url: str, method: str = "GET", timeout: float = 30) -> Any:
    """A request with the standard library (for the few control calls)."""
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as r:
        return json.loads(r.read())


def queue_depth(base: str, timeout: float = 30) -> dict[str, int]:
    """The queue component of ``/readyz``."""
    queue: dict[str, int] = http_json(f"{base}/readyz", timeout=timeout)["components"]["queue"]
    return queue


def backlog(depth: dict[str, int]) -> int:
    """Jobs not finished yet: waiting for their ordering key's turn, queued or running."""
    return depth.get("waiting", 0) + depth["queued"] + depth["running"]


WRK_THREADS = 2
Request = tuple[str, Mapping[str, str], bytes]
"""A POST prepared for ``requests.lua``: path, headers, body."""


def write_requests(out: Path, requests: Iterable[Request]) -> Path:
    """Write ``requests`` in ``requests.lua``'s format (one per line) to ``out``."""
    with out.open("wb") as f:
        for path, headers, body in requests:
            names = "\x1f".join(f"{k}: {v}" for k, v in headers.items())
            if any(c in body for c in b"\t\n") or any(c in names for c in "\t\n"):
                raise ValueError(f"a request for {path} has a tab or newline")
            f.write(f"{path}\t{names}\t".encode() + body + b"\n")
    return out


def run_wrk(url: str, requests: Path, seconds: float, connections: int) -> dict[str, Any]:
    """One wrk run of ``requests.lua`` over ``requests``; the JSON it printed."""
    out = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{connections}",
            f"-d{int(seconds)}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "requests.lua"),
            url,
            "--",
            str(requests),
            str(WRK_THREADS),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    for line in out.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("WRK_RESULT "))
            return result
    raise RuntimeError(f"no result from wrk:\n{out.stdout}\n{out.stderr}")


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table with left-aligned columns."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    rule = "-" * max(len(line) for line in lines)
    return "\n".join([title, rule, lines[0], rule, *lines[1:], rule])


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"
