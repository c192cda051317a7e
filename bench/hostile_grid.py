"""What a hostile grid costs the hook server, next to a normal one (figures, never asserted).

    python3 bench/hostile_grid.py [--units 100,1000] [--repeat 5] [--copies 20]

For each size it builds the steady-state request of bench/fleet.py (5 realistic Nodes per unit, every
unit's child observed) and three grids over it:

- normal: the fleet's grid as it is;
- hostile: the same grid with one override whose patch chains ``--copies`` ``copy`` operations, each
  copying the pod template into its own annotations (doubling it each time): the limits refuse the
  copy that would make the child too large for Metacontroller's last-applied annotation;
- busiest: the most patch work a grid may ask for every unit: 100 operations (the per-unit limit) adding
  annotations, all rendered.

It measures the pure hook in-process (the route's decoder, the hook, the encoder: median of ``--repeat``
runs), the peak of Python allocations during one such call (tracemalloc), and an HTTP round trip through
a fresh gunicorn worker per grid with the worker's peak resident memory (VmHWM) afterwards.
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.fleet import NODES_PER_UNIT, steady_state_request  # noqa: E402
from bench.run import ROUTE, Server, in_process, machine, median_time, route_decoder  # noqa: E402
from hooks.protocol import codec  # noqa: E402
from hooks.server.app import hook_table  # noqa: E402

ANNOTATIONS = "/spec/template/metadata/annotations"


def doubling(copies: int) -> list[dict]:
    """The hostile patch: an annotations map, then ``copies`` copies of the pod template into it."""
    ops = [{"op": "add", "path": ANNOTATIONS, "value": {}}]
    return ops + [{"op": "copy", "from": "/spec/template", "path": f"{ANNOTATIONS}/x{i}"} for i in range(copies)]


def busiest() -> list[dict]:
    """100 operations for every unit (the per-unit limit), in two entries of 50."""
    ops = [{"op": "add", "path": f"/metadata/annotations/example.com~1a{i}", "value": "{{unit}}"} for i in range(50)]
    return [{"patch": ops}, {"patch": [{**op, "path": op["path"] + "b"} for op in ops]}]


def variants(copies: int) -> dict[str, list[dict] | None]:
    return {"normal": None, "hostile": [{"patch": doubling(copies)}], "busiest": busiest()}


def request_with(base: dict, overrides: list[dict] | None) -> dict:
    if overrides is None:
        return base
    return {**base, "parent": {**base["parent"], "spec": {**base["parent"]["spec"], "overrides": overrides}}}


def synced_reason(answer: bytes) -> str:
    conditions = orjson.loads(answer)["status"]["conditions"]
    return next(c["reason"] for c in conditions if c["type"] == "Synced")


def python_peak(body: bytes, decode) -> int:
    """Peak bytes of Python allocations during one in-process call (the request already in memory)."""
    tracemalloc.start()
    try:
        in_process(body, decode)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(units: int, copies: int, repeat: int) -> list[dict]:
    base = steady_state_request(units * NODES_PER_UNIT, hook_table()[ROUTE])
    decode = route_decoder(ROUTE)
    rows = []
    for name, overrides in variants(copies).items():
        body = orjson.dumps(request_with(base, overrides))
        answer = in_process(body, decode)
        seconds = median_time(lambda b=body: in_process(b, decode), repeat, min_seconds=0.5)
        peak = python_peak(body, decode)
        server = Server()
        try:
            status, served = server.request("POST", ROUTE, body)
            round_trip = median_time(lambda s=server, b=body: s.request("POST", ROUTE, b), repeat, min_seconds=0.5)
            worker_peak = server.memory_mb("VmHWM")
        finally:
            server.stop()
        if status != 200 or codec.loads(served)["children"] != codec.loads(answer)["children"]:
            raise AssertionError(f"{name}: the HTTP answer differs from the in-process one (status {status})")
        rows.append(
            {
                "units": units,
                "grid": name,
                "reason": synced_reason(answer),
                "request_mb": len(body) / 1e6,
                "in_process_ms": seconds * 1000,
                "python_peak_mb": peak / 1e6,
                "round_trip_ms": round_trip * 1000,
                "worker_peak_mb": worker_peak,
            }
        )
        print(f"# {units} units, {name} done", file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict]) -> str:
    head = (
        "| units | grid | Synced reason | request MB | in-process ms | Python peak MB | round trip ms "
        "| worker peak MB |"
    )
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        lines.append(
            f"| {r['units']:,} | {r['grid']} | {r['reason']} | {r['request_mb']:.1f} | {r['in_process_ms']:.1f} "
            f"| {r['python_peak_mb']:.1f} | {r['round_trip_ms']:.1f} | {r['worker_peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default="100,1000", help="unit counts, comma-separated")
    parser.add_argument("--copies", type=int, default=20, help="copy operations in the hostile patch")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (the median is shown)")
    args = parser.parse_args(argv)
    info = machine()
    print(f"# {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, load {info['loadavg']}", flush=True)
    rows = [row for units in args.units.split(",") for row in measure(int(units), args.copies, args.repeat)]
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
