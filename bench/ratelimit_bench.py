"""What a rate-limit check costs: in-process buckets (embedded shape) vs Redis (scaled shape).

Each hit takes one token from a bucket that never runs dry (keys cycled over 1,000 tenants, the
rate far above the load), so every call is the allowed path a request takes. Timed one call at a
time on one event loop: in process (the baseline, same run), then through ``RedisRateLimiter``
(one ``EVALSHA`` of the token-bucket script per call) on the server at ``--redis`` (a local
``redis-server``, as ``.ci/run`` starts one); with one bucket per call, and with two (a web chat
post takes the visitor's and the tenant's token in one call).

Run: ``.venv/bin/python bench/ratelimit_bench.py [--iterations N] [--redis URL]`` (default
``redis://127.0.0.1:6379/15``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from common import percentile, table
from frontdesk.core.ratelimit import Bucket, Limiter, RateLimiter, RedisRateLimiter


def buckets(i: int, per_call: int) -> list[Bucket]:
    """The buckets of call ``i``: a visitor's, then (two per call) its tenant's, as web chat."""
    out = [Bucket(f"bench:ip:{i % 1000}", 1e6, 1_000_000)]
    if per_call == 2:
        out.append(Bucket(f"bench:tenant:{i % 50}", 1e6, 1_000_000))
    return out


async def timed(limiter: Limiter, n: int, per_call: int) -> list[float]:
    """Per-call latencies (ms) of ``n`` allowed calls, after 500 untimed ones."""
    for i in range(500):
        await limiter.hit(*buckets(i, per_call))
    out = []
    for i in range(n):
        start = time.perf_counter()
        await limiter.hit(*buckets(i, per_call))
        out.append((time.perf_counter() - start) * 1000)
    return out


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()
    shared = RedisRateLimiter.from_url(args.redis)
    runs = []
    try:
        for per_call in (1, 2):
            local = await timed(RateLimiter(), args.iterations, per_call)
            remote = await timed(shared, args.iterations, per_call)
            runs += [(f"in process, {per_call} bucket(s) (baseline)", local, local)]
            runs += [(f"Redis, {per_call} bucket(s) in one call", remote, local)]
    finally:
        await shared.aclose()
    rows = [
        [name, len(v), f"{statistics.median(v):.4f}", f"{percentile(v, 99):.4f}",
         f"{statistics.median(v) / statistics.median(base):.0f}x"]
        for name, v, base in runs
    ]  # fmt: skip
    header = ["limiter", "n", "p50 ms", "p99 ms", "p50/base"]
    print(table("Rate-limit check, allowed path", header, rows))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
