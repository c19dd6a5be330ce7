"""Channel webhooks vs the web chat intake, same server, same run (embedded shape, SQLite).

1. A fake provider server (tests/channels/fake_provider.py) takes the replies the workers send.
2. ``frontdesk migrate`` + ``demo`` + ``serve`` in a fresh temp data dir, with every provider API
   pointed at the fake and the rate limits raised; WhatsApp, Messenger, Telegram, Slack, Twilio
   and Signal channels are created through the API.
3. ``webchat``: a load generator in a separate process posts web chat messages from 32
   concurrent clients for ``--seconds``; the queue is drained.
4. ``channels``: the same generator posts correctly signed webhooks of all six providers in turn
   (each with a fresh provider message id, signed when sent) for ``--seconds``; drained again.

Only 127.0.0.1 is ever contacted. Prints acks/s, p50/p99 and the ratio channels / web chat.
Run: ``.venv/bin/python bench/channels.py [--seconds 15] [--concurrency 32]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx

from common import ROOT, Server, percentile, start_frontdesk, table, verdict

sys.path.insert(0, str(ROOT))
from tests.channels import payloads  # noqa: E402
from tests.channels.fake_provider import FakeProvider  # noqa: E402
from tests.channels.helpers import SPECS  # noqa: E402

TYPES = ("whatsapp", "messenger", "telegram", "slack", "twilio", "signal")
RAISED = {
    f"FRONTDESK_{k}": "1000000000"
    for k in (
        "PUBLIC_RATE_PER_IP",
        "PUBLIC_BURST_PER_IP",
        "PUBLIC_RATE_PER_TENANT",
        "PUBLIC_BURST_PER_TENANT",
        "WEBHOOK_RATE_PER_TENANT",
        "WEBHOOK_BURST_PER_TENANT",
        "WEBHOOK_RATE_PER_CHANNEL",
        "WEBHOOK_BURST_PER_CHANNEL",
    )
}
QUESTION = "When will my order arrive?"


def start_server(folder: Path, fake: FakeProvider) -> tuple[Server, str]:
    """A fresh Frontdesk with the demo tenant; returns the server and an admin key."""
    return start_frontdesk(
        folder,
        {
            **RAISED,
            "FRONTDESK_CHANNEL_API_URLS": json.dumps({t: fake.url for t in TYPES}),
            "FRONTDESK_HTTP_ALLOWED_HOSTS": json.dumps([fake.hostport]),
        },
    )


def create_channels(base: str, key: str, fake: FakeProvider) -> list[dict[str, Any]]:
    """One channel of each type, with the secrets the load generator signs with."""
    out = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        for type_ in TYPES:
            config, credentials = SPECS.get(type_, ({}, {}))
            if type_ == "signal":
                config = {"gateway_url": fake.url, "number": "+499999"}
            r = client.post(
                "/api/v1/channels",
                json={"type": type_, "name": type_, "config": config, "credentials": credentials},
            )
            r.raise_for_status()
            created = r.json()
            secrets = dict(credentials)
            if created.get("verify_token"):
                field = {"telegram": "secret_token", "signal": "shared_secret"}.get(
                    type_, "verify_token"
                )
                secrets[field] = created["verify_token"]
            out.append({**created, "secrets": secrets})
    return out


def signed(channel: dict[str, Any], n: int) -> tuple[str, bytes, dict[str, str]]:
    """A correctly signed webhook for ``channel`` with a unique provider message id."""
    url: str = channel["webhook_url"]
    path = "/" + url.split("/", 3)[3]
    s = channel["secrets"]
    kind = channel["type"]
    if kind == "whatsapp":
        body = payloads.dumps(payloads.whatsapp_text(f"wamid.bench{n}", QUESTION, f"1650{n % 500}"))
        return path, body, payloads.meta_headers(s["app_secret"], body)
    if kind == "messenger":
        event = {
            "sender": {"id": f"psid{n % 500}"},
            "recipient": {"id": "PAGE"},
            "timestamp": n,
            "message": {"mid": f"m_bench{n}", "text": QUESTION},
        }
        body = payloads.dumps({"object": "page", "entry": [{"id": "PAGE", "messaging": [event]}]})
        return path, body, payloads.meta_headers(s["app_secret"], body)
    if kind == "telegram":
        update = payloads.telegram_text(n, QUESTION)
        update["message"]["chat"]["id"] = 1000 + n % 500
        body = payloads.dumps(update)
        return (
            path,
            body,
            {
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": s["secret_token"],
            },
        )
    if kind == "slack":
        data = payloads.slack_message(f"Evbench{n}", QUESTION)
        data["event"]["channel"] = f"D{n % 500}"
        body = payloads.dumps(data)
        return path, body, payloads.slack_headers(s["signing_secret"], body)
    if kind == "twilio":
        params = {
            "MessageSid": f"SMbench{n}",
            "From": f"+1555{n % 500:07d}",
            "To": "+15557654321",
            "Body": QUESTION,
            "NumMedia": "0",
        }
        body, headers = payloads.twilio_request(s["auth_token"], url, params)
        return path, body, headers
    data = {
        "envelope": {
            "sourceNumber": f"+49{n % 500}",
            "timestamp": n,
            "dataMessage": {"timestamp": n, "message": QUESTION},
        }
    }
    return (
        path,
        payloads.dumps(data),
        {"Content-Type": "application/json", "X-Frontdesk-Signal-Secret": s["shared_secret"]},
    )


async def load(
    base: str, mode: str, target: Any, seconds: float, concurrency: int
) -> dict[str, Any]:
    """Post for ``seconds`` from ``concurrency`` clients; latencies of acknowledged posts."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = itertools.count(int(time.time() * 1000))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:
        sessions = []
        if mode == "webchat":
            for _ in range(concurrency):
                r = await client.post("/api/v1/webchat/demo/sessions")
                r.raise_for_status()
                sessions.append(r.json())
        deadline = time.perf_counter() + seconds

        async def user(i: int) -> None:
            while time.perf_counter() < deadline:
                n = next(counter)
                if mode == "webchat":
                    sess = sessions[i]
                    request = client.build_request(
                        "POST",
                        f"/api/v1/webchat/sessions/{sess['session_id']}/messages",
                        json={"text": QUESTION},
                        headers={"Authorization": f"Bearer {sess['token']}"},
                    )
                else:
                    path, body, headers = signed(target[n % len(target)], n)
                    request = client.build_request("POST", path, content=body, headers=headers)
                started = time.perf_counter()
                r = await client.send(request)
                elapsed = time.perf_counter() - started
                if r.status_code in (200, 202):
                    latencies.append(elapsed)
                else:
                    errors[str(r.status_code)] = errors.get(str(r.status_code), 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(concurrency)))
        took = time.perf_counter() - started
    return {"latencies": latencies, "errors": errors, "seconds": took}


def _child(base: str, mode: str, target: Any, seconds: float, concurrency: int, out: Any) -> None:
    out.put(asyncio.run(load(base, mode, target, seconds, concurrency)))


def run_load(base: str, mode: str, target: Any, seconds: float, concurrency: int) -> dict[str, Any]:
    """The load generator in its own process, so it does not share our event loop."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_child, args=(base, mode, target, seconds, concurrency, out))
    proc.start()
    result: dict[str, Any] = out.get(timeout=seconds + 120)
    proc.join(timeout=30)
    return result


def drain(base: str, timeout: float = 120.0) -> float:
    """Seconds until no job is waiting, queued or running."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with urllib.request.urlopen(base + "/readyz", timeout=5) as r:
            queue = json.load(r)["components"]["queue"]
        if not any(queue.get(status, 0) for status in ("waiting", "queued", "running")):
            break
        time.sleep(0.25)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--keep", action="store_true", help="keep the data dir and logs")
    args = parser.parse_args()
    fake = FakeProvider().start()
    tmp = tempfile.mkdtemp(prefix="fd-bench-channels-")
    try:
        server, key = start_server(Path(tmp), fake)
        try:
            channels = create_channels(server.url, key, fake)
            results = {}
            drains = {}
            for mode in ("webchat", "channels"):
                results[mode] = run_load(server.url, mode, channels, args.seconds, args.concurrency)
                drains[mode] = drain(server.url)
            sends = len(fake.requests)
        finally:
            server.stop()
            fake.stop()
    finally:
        if args.keep:
            print(f"data dir and logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    rows = []
    for mode, r in results.items():
        lat = r["latencies"]
        rows.append(
            [
                mode,
                len(lat),
                f"{len(lat) / r['seconds']:.0f}",
                f"{percentile(lat, 50) * 1000:.1f}",
                f"{percentile(lat, 99) * 1000:.1f}",
                json.dumps(r["errors"]) if r["errors"] else "-",
                f"{drains[mode]:.1f}",
            ]
        )
    rate = {m: len(r["latencies"]) / r["seconds"] for m, r in results.items()}
    ratio = rate["channels"] / rate["webchat"] if rate["webchat"] else float("nan")
    p99 = percentile(results["channels"]["latencies"], 99) * 1000
    print(
        table(
            f"Intake at concurrency {args.concurrency}, {args.seconds:.0f} s each"
            " (SQLite, 127.0.0.1)",
            ["phase", "acks", "acks/s", "p50 ms", "p99 ms", "errors", "drain s"],
            rows,
        )
    )
    print(f"replies received by the fake provider: {sends}")
    print(f"channels / web chat acks/s: {ratio:.2f}  (target >= 0.80: {verdict(ratio >= 0.8)})")
    print(f"channels p99: {p99:.1f} ms  (target < 50 ms: {verdict(p99 < 50)})")


if __name__ == "__main__":
    main()
