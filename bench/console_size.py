"""Console bundle size: gzipped JavaScript of the initial route against the 300 KB budget.

Builds the console first unless --no-build. The initial route is what index.html loads: its
entry script and every module it preloads; lazily loaded chunks (the dashboard and its chart
library) are listed apart.
"""

from __future__ import annotations

import argparse
import gzip
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "src" / "frontdesk" / "console_dist"
BUDGET_KB = 300.0


def gz_kb(path: Path) -> float:
    return len(gzip.compress(path.read_bytes(), compresslevel=9)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if not args.no_build:
        subprocess.run(
            ["npm", "run", "build"], cwd=ROOT / "console", check=True, capture_output=True
        )
    html = (DIST / "index.html").read_text()
    initial = sorted(set(re.findall(r'(?:src|href)="/(assets/[^"]+\.js)"', html)))
    lazy = sorted(
        str(p.relative_to(DIST))
        for p in (DIST / "assets").glob("*.js")
        if str(p.relative_to(DIST)) not in initial
    )
    total = 0.0
    print("initial route:")
    for name in initial:
        kb = gz_kb(DIST / name)
        total += kb
        print(f"  {name:45s} {kb:8.1f} KB gzip")
    share = f"{total / BUDGET_KB:.0%} of the {BUDGET_KB:.0f} KB budget"
    print(f"  {'total':45s} {total:8.1f} KB gzip  ({share})")
    print("loaded later:")
    for name in lazy:
        print(f"  {name:45s} {gz_kb(DIST / name):8.1f} KB gzip")


if __name__ == "__main__":
    main()
