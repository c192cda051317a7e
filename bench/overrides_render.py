"""Prints how long rendering 1,000 units takes with and without overrides (figures, never asserted).

Usage: python3 bench/overrides_render.py [UNITS]

Measures the pure sync function on a request already in memory (no JSON parsing),
so the cost of overrides and of the per-unit child checks stands out.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hooks.grids import workload_grid
from hooks.grids.workload import DEPLOYMENT
from tests.support.builders import NOW, grid, node, sync_request

SITE_ENV = {
    "op": "add",
    "path": "/spec/template/spec/containers/0/env",
    "value": [{"name": "SITE", "value": "{{unit}}"}],
}
ANNOTATION = {"op": "add", "path": "/metadata/annotations/example.com~1site", "value": "{{unit}}"}

SCENARIOS = {
    "no overrides": [],
    "replicas for 1 unit": [{"units": ["site-0007"], "replicas": 7}],
    "replicas+images for all": [{"replicas": 3, "images": {"web": "nginx:1.28"}}],
    "patch (env+annotation) for all": [{"patch": [SITE_ENV, ANNOTATION]}],
}


def timed(req: dict, rounds: int = 7) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        workload_grid.sync(req, DEPLOYMENT, NOW)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    units = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    nodes = {f"n{i}": node(f"n{i}", {"site": f"site-{i:04d}"}) for i in range(units)}
    print(f"{units} units, best of 7 runs of workload_grid.sync (request already decoded)")
    for label, overrides in SCENARIOS.items():
        req = sync_request(grid(overrides=overrides), nodes)
        seconds = timed(req)
        print(f"  {label:34s} {seconds * 1000:8.1f} ms  ({seconds / units * 1e6:6.1f} us/unit)")


if __name__ == "__main__":
    main()
