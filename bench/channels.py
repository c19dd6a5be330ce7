"""Channel webhooks vs the web chat intake, same server, same run (embedded shape, SQLite).

1. A fake provider server (tests/channels/fake_provider.py) takes the replies the workers send.
2. ``frontdesk migrate`` + ``demo`` + ``serve`` in a fresh temp data dir, with every provider API
   pointed at the fake and the rate limits raised; WhatsApp, Messenger, Telegram, Slack, Twilio
   and Signal channels are created through the API.
3. The load comes from ``wrk`` (C; ``bench/requests.lua``) with ``--concurrency`` connections
   over requests prepared beforehand, so the generator costs little of the 2 cores it shares
   with the server. ``webchat``: posts over 64 fresh web chat sessions, ``--warmup`` seconds
   first (then drained), then ``--seconds`` measured; the queue is drained.
4. ``channels``: correctly signed webhooks of all six providers in turn, each with a fresh
   provider message id (``--requests`` of them, signed when prepared: within every provider's
   replay window), for ``--seconds``; drained again.

Only 127.0.0.1 is ever contacted. Prints acks/s, p50/p99 and the ratio channels / web chat.
Run: ``.venv/bin/python bench/channels.py [--seconds 15] [--concurrency 32]``.
"""

from __future__ import annotations

import argparse
import json
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
    ROOT,
    Request,
    Server,
    backlog,
    queue_depth,
    run_wrk,
    start_frontdesk,
    table,
    verdict,
    write_requests,
)

sys.path.insert(0, str(ROOT))
from tests.channels import payloads  # noqa: E402
from tests.channels.fake_provider import FakeProvider  # noqa: E402
from tests.channels.helpers import SPECS  # noqa: E402

JSON = {"Content-Type": "application/json"}
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


def webchat_requests(base: str, sessions: int) -> Iterator[Request]:
    """Web chat posts over ``sessions`` fresh sessions of the demo tenant (cycled by wrk)."""
    body = orjson.dumps({"text": QUESTION})
    with httpx.Client(base_url=base) as client:
        opened = [
            client.post("/api/v1/webchat/demo/sessions").raise_for_status().json()
            for _ in range(sessions)
        ]
    for sess in opened:
        path = f"/api/v1/webchat/sessions/{sess['session_id']}/messages"
        yield path, {**JSON, "Authorization": f"Bearer {sess['token']}"}, body


def channel_requests(channels: list[dict[str, Any]], count: int) -> Iterator[Request]:
    """``count`` webhooks, the six providers in turn, each signed now with a fresh message id."""
    start = int(time.time() * 1000)
    for n in range(start, start + count):
        path, body, headers = signed(channels[n % len(channels)], n)
        yield path, headers, body


def drain(base: str, timeout: float = 120.0) -> float:
    """Seconds until no job is waiting, queued or running."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not backlog(queue_depth(base, timeout=5)):
            break
        time.sleep(0.25)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of web chat first")
    parser.add_argument(
        "--requests", type=int, default=60_000, help="signed webhooks prepared (each used once)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data dir and logs")
    args = parser.parse_args()
    fake = FakeProvider().start()
    tmp = Path(tempfile.mkdtemp(prefix="fd-bench-channels-"))
    try:
        server, key = start_server(tmp, fake)
        try:
            channels = create_channels(server.url, key, fake)
            webchat = write_requests(tmp / "webchat.tsv", webchat_requests(server.url, 64))
            hooks = write_requests(tmp / "channels.tsv", channel_requests(channels, args.requests))
            run_wrk(server.url, webchat, args.warmup, args.concurrency)
            drain(server.url)
            results, drains = {}, {}
            for mode, requests in (("webchat", webchat), ("channels", hooks)):
                results[mode] = run_wrk(server.url, requests, args.seconds, args.concurrency)
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
        errors = r["other_status"] + r["timeouts"] + r["read_errors"] + r["connect_errors"]
        rows.append(
            [
                mode,
                r["accepted"],
                f"{r['accepted'] / (r['duration_us'] / 1e6):.0f}",
                f"{r['p50_us'] / 1000:.1f}",
                f"{r['p99_us'] / 1000:.1f}",
                errors or "-",
                f"{drains[mode]:.1f}",
            ]
        )
    rate = {m: r["accepted"] / (r["duration_us"] / 1e6) for m, r in results.items()}
    ratio = rate["channels"] / rate["webchat"] if rate["webchat"] else float("nan")
    p99 = results["channels"]["p99_us"] / 1000
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
