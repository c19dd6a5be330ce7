"""Workflow editor canvas: frame durations while dragging a node, with a 200-node workflow.

Serves the demo (bench/common.py start_frontdesk), creates through the API a 200-node workflow
(and a 10-node one as the baseline of the same run), opens each in the console's editor in
Debian's Chromium (Playwright) and drags a node with stepped mouse moves while a
requestAnimationFrame loop records frame times and a PerformanceObserver collects long
animation frames. Prints per-drag-frame p50 / p95 / max and the frame count (target: < 50 ms).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from common import percentile, start_frontdesk, table, verdict

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TARGET_MS = 50.0
ADMIN = {"tenant": "demo", "email": "admin@demo.example", "password": "frontdesk-demo"}

RECORDER = """
() => {
  window.__frames = [];
  window.__long = [];
  window.__recording = true;
  let last = performance.now();
  const tick = (now) => {
    if (!window.__recording) return;
    window.__frames.push(now - last);
    last = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame((now) => { last = now; requestAnimationFrame(tick); });
  try {
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__long.push(entry.duration);
    });
    observer.observe({ type: "long-animation-frame" });
    window.__observer = observer;
  } catch (e) {
    window.__observer = null;
  }
}
"""
STOP = """
() => {
  window.__recording = false;
  if (window.__observer) window.__observer.disconnect();
  return { frames: window.__frames, long: window.__long };
}
"""


def definition(count: int) -> dict[str, Any]:
    """start → (count - 2) set nodes in a chain → end, laid out on a grid."""
    ids = ["start", *[f"set_{i}" for i in range(1, count - 1)], "end"]
    nodes = []
    for index, node_id in enumerate(ids):
        node_type = "start" if node_id == "start" else "end" if node_id == "end" else "set"
        data: dict[str, Any] = {"label": node_id}
        if node_type == "set":
            data["assignments"] = [{"name": "n", "mode": "static", "value": index}]
        position = {"x": (index % 20) * 240, "y": (index // 20) * 130}
        nodes.append({"id": node_id, "type": node_type, "position": position, "data": data})
    pairs = zip(ids, ids[1:], strict=False)
    edges = [{"id": f"e{i}", "source": a, "target": b} for i, (a, b) in enumerate(pairs)]
    return {"nodes": nodes, "edges": edges, "triggers": [{"type": "manual"}]}


def create(url: str, key: str, name: str, count: int) -> str:
    body = json.dumps({"name": name, "definition": definition(count)}).encode()
    request = urllib.request.Request(
        f"{url}/api/v1/workflows",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.loads(response.read())["id"])


def drag(page: Any, url: str, workflow_id: str, count: int, steps: int) -> dict[str, Any]:
    """Open the editor, drag one node in ``steps`` mouse moves, return the recorded frames."""
    page.goto(f"{url}/workflows/{workflow_id}")
    page.locator(".react-flow__node").nth(count - 1).wait_for(timeout=60_000)
    page.wait_for_timeout(1000)  # fit view and live validation settle
    node = page.locator('.react-flow__node[data-id="set_1"] .wf-node-label')
    box = node.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.evaluate(RECORDER)
    started = time.perf_counter()
    for step in range(1, steps + 1):
        page.mouse.move(x + step * 3, y + step * 2)
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    elapsed = time.perf_counter() - started
    recorded = page.evaluate(STOP)
    page.mouse.up()
    moved = page.locator('.react-flow__node[data-id="set_1"]').bounding_box()
    assert moved is not None and moved["x"] > box["x"], "the node did not move"
    page.keyboard.press("Control+z")
    return {**recorded, "elapsed": elapsed, "steps": steps}


def summary(label: str, count: int, run: dict[str, Any]) -> list[object]:
    frames = run["frames"]
    long = run["long"]
    return [
        label,
        count,
        len(frames),
        f"{percentile(frames, 50):.1f}",
        f"{percentile(frames, 95):.1f}",
        f"{max(frames):.1f}" if frames else "nan",
        f"{len(long)} (max {max(long):.0f} ms)" if long else "0",
        f"{run['steps'] / run['elapsed']:.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--steps", type=int, default=120, help="mouse moves per drag")
    parser.add_argument("--runs", type=int, default=3, help="drags per workflow")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit("Debian's chromium is needed: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        server, key = start_frontdesk(Path(folder), {})
        try:
            big = create(server.url, key, "canvas bench", args.nodes)
            small = create(server.url, key, "canvas baseline", 10)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                context = browser.new_context(viewport={"width": 1600, "height": 1000})
                page = context.new_page()
                login = page.request.post(f"{server.url}/api/v1/auth/login", data=ADMIN)
                assert login.ok, login.text()
                results: dict[str, dict[str, Any]] = {}
                for label, workflow_id, count in (
                    ("baseline", small, 10),
                    ("bench", big, args.nodes),
                ):
                    merged: dict[str, Any] = {"frames": [], "long": [], "elapsed": 0.0, "steps": 0}
                    for _ in range(args.runs):
                        run = drag(page, server.url, workflow_id, count, args.steps)
                        merged["frames"] += run["frames"]
                        merged["long"] += run["long"]
                        merged["elapsed"] += run["elapsed"]
                        merged["steps"] += run["steps"]
                    results[label] = merged
                browser.close()
        finally:
            server.stop()
    header = ["workflow", "nodes", "frames", "p50 ms", "p95 ms", "max ms", "long frames", "moves/s"]
    rows = [
        summary("baseline", 10, results["baseline"]),
        summary("bench", args.nodes, results["bench"]),
    ]
    print(table("Drag frame durations (requestAnimationFrame deltas while dragging)", header, rows))
    bench = results["bench"]["frames"]
    base = results["baseline"]["frames"]
    ratio = percentile(bench, 95) / percentile(base, 95)
    print(f"p95 ratio {args.nodes} nodes / 10 nodes: {ratio:.2f}")
    p95 = percentile(bench, 95)
    ok = verdict(p95 < TARGET_MS)
    print(f"target p95 < {TARGET_MS:.0f} ms per drag frame: {p95:.1f} ms {ok}")


if __name__ == "__main__":
    main()
