"""Benchmark of the sync hook on large steady-state requests (the targets: docs/performance.md).

    python3 bench/run.py [--sizes 100,1000,5000,10000] [--repeat 5] [--json out.json]

For each fleet size (5 nodes per unit) it builds one realistic request (bench/fleet.py) and measures,
in one run on the same machine, the median of ``--repeat`` runs of:

- floor: ``orjson.loads`` of the request body (a full parse, no hook), as a hook server runs it, with
  the garbage collector on; also shown with the collector off, the best a full parse could do (the
  ratios are to the first, the floor the targets are stated against);
- in-process: body bytes -> response bytes along the path the Flask view takes (the route's decoder,
  the hook, ``codec.dumps``);
- reference: the same with a full ``orjson.loads`` of the body instead of the route's decoder (what
  the server did before the fast path; the two answers are checked to be byte-identical);
- round trip: an HTTP POST through a real gunicorn worker (1 worker, on loopback, started fresh for
  each size), from connecting to having read the whole answer;
- worker peak: the high-water mark of the worker's resident memory (VmHWM) after serving the size's
  requests; since the worker is started fresh per size, it is that size's peak.

Not a test: it prints figures and asserts nothing about time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import http.client
import json
import os
import platform
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.fleet import NODES_PER_UNIT, steady_state_request  # noqa: E402
from bench.rollout import mid_rollout_request  # noqa: E402
from hooks.protocol import codec  # noqa: E402
from hooks.server.app import hook_table  # noqa: E402

ROUTE = "/deploymentgrid/sync"
NOW = "2025-11-03T10:00:00Z"


@dataclass
class Result:
    nodes: int
    units: int
    request_bytes: int
    response_bytes: int
    floor_s: float
    floor_gc_off_s: float
    in_process_s: float
    reference_s: float
    round_trip_s: float
    worker_peak_mb: float
    worker_idle_mb: float
    variant: str = "steady"

    @property
    def in_process_x(self) -> float:
        return self.in_process_s / self.floor_s

    @property
    def reference_x(self) -> float:
        return self.reference_s / self.floor_s

    @property
    def round_trip_x(self) -> float:
        return self.round_trip_s / self.floor_s


def route_decoder(path: str) -> Callable[[bytes], object]:
    """The decoder the app uses for ``path`` (plain ``codec.loads`` in a tree without the fast path)."""
    try:
        from hooks.server.fast_decode import decoder_for
        from hooks.server.route_reads import route_reads
    except ImportError:
        return codec.loads
    return decoder_for(route_reads().get(path))


def median_time(fn: Callable[[], object], repeat: int, min_seconds: float = 1.0) -> float:
    """Median of at least ``repeat`` runs, and of as many more as fit in ``min_seconds``.

    Small sizes take milliseconds, where one garbage collection or a neighbour's burst of CPU shifts
    a single figure a lot; many runs and the median keep the ratios stable.
    """
    gc.collect()
    times: list[float] = []
    began = time.perf_counter()
    while len(times) < repeat or time.perf_counter() - began < min_seconds:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def without_gc(fn: Callable[[bytes], object], arg: bytes) -> object:
    gc.disable()
    try:
        return fn(arg)
    finally:
        gc.enable()


VARIANTS = {
    "steady": steady_state_request,
    "rollout": mid_rollout_request,
    "rollout-offline": lambda nodes, sync: mid_rollout_request(nodes, sync, offline_every=10),
}
"""steady: every unit on the current revision; rollout: the same fleet with spec.rollout, mid-rollout;
rollout-offline: the same with 10% of the units offline (every node of each tenth unit not Ready)."""


def build_body(nodes: int, variant: str = "steady") -> bytes:
    hook = hook_table()[ROUTE]
    return orjson.dumps(VARIANTS[variant](nodes, hook))


def in_process(body: bytes, decode: Callable[[bytes], object]) -> bytes:
    """Bytes in, bytes out, as the Flask view does it (minus HTTP)."""
    return codec.dumps(hook_table()[ROUTE](decode(body), NOW))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn with one worker, using the repo's config, on a loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "HOOKS_BIND": f"127.0.0.1:{self.port}",
            "HOOKS_WORKERS": "1",
            "HOOKS_LOG_LEVEL": "warning",
            "HOOKS_TIMEOUT": "120",
            "PYTHONPATH": str(ROOT),
        }
        cmd = [sys.executable, "-m", "gunicorn", "--config", "python:hooks.server.gunicorn_conf", "hooks.app:app"]
        # A file, not a pipe nobody reads: once a pipe's 64 KiB fill up (a hostile grid's warning per request),
        # the worker blocks writing its log and the next request hangs until the client's timeout.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 -- open for the server's life, closed in stop()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        self.worker = self._wait_ready()

    def _wait_ready(self) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError("gunicorn exited: " + self.log.read().decode(errors="replace"))
            try:
                status, _ = self.request("GET", "/healthz", b"")
                children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
                if status == 200 and len(children) == 1:
                    return int(children[0])
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not become ready")

    def request(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def memory_mb(self, field: str) -> float:
        """``VmHWM`` (peak) or ``VmRSS`` (now) of the worker, in MB (10^6 bytes)."""
        for line in Path(f"/proc/{self.worker}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024 / 1e6
        raise RuntimeError(f"{field} not found for pid {self.worker}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def same_answer(served: bytes, computed: bytes) -> bool:
    """Byte-identical, or (a rollout's answer) equal but for resyncAfterSeconds, which follows the clock."""
    if served == computed:
        return True
    ignore = "resyncAfterSeconds"
    return {k: v for k, v in orjson.loads(served).items() if k != ignore} == {
        k: v for k, v in orjson.loads(computed).items() if k != ignore
    }


def measure(nodes: int, repeat: int, min_seconds: float = 1.0, variant: str = "steady") -> Result:
    body = build_body(nodes, variant)
    decode = route_decoder(ROUTE)
    answer = in_process(body, decode)
    if in_process(body, codec.loads) != answer:
        raise AssertionError("the route's decoder and a full parse gave different answers")
    floor = median_time(lambda: orjson.loads(body), repeat, min_seconds)
    floor_gc_off = median_time(lambda: without_gc(orjson.loads, body), repeat, min_seconds)
    fast = median_time(lambda: in_process(body, decode), repeat, min_seconds)
    reference = median_time(lambda: in_process(body, codec.loads), repeat, min_seconds)
    server = Server()
    try:
        idle = server.memory_mb("VmRSS")

        def post() -> None:
            status, data = server.request("POST", ROUTE, body)
            if status != 200 or not same_answer(data, answer):
                raise AssertionError(f"HTTP answer differs from the in-process one (status {status})")

        round_trip = median_time(post, repeat, min_seconds)
        peak = server.memory_mb("VmHWM")
    finally:
        server.stop()
    units = max(1, nodes // NODES_PER_UNIT)
    return Result(
        nodes, units, len(body), len(answer), floor, floor_gc_off, fast, reference, round_trip, peak, idle, variant
    )


def profile(nodes: int, repeat: int, top: int = 20, variant: str = "steady") -> None:
    """Print where the in-process path spends its time: per phase (medians), then cProfile by own time.

    The ``hook`` phase reruns the hook on one decoded request, so the Node conditions it reads are decoded
    in its first run only (hooks.protocol.partial.LazyItems); the in-process path decodes them every time.
    """
    body = build_body(nodes, variant)
    decode = route_decoder(ROUTE)
    hook = hook_table()[ROUTE]
    request = decode(body)
    answer = hook(request, NOW)
    phases = {
        "decode": lambda: decode(body),
        "hook": lambda: hook(request, NOW),
        "encode": lambda: codec.dumps(answer),
        "full parse (floor)": lambda: orjson.loads(body),
    }
    print(f"# {nodes} nodes ({variant}), {len(body) / 1e6:.1f} MB")
    for name, fn in phases.items():
        print(f"{name:>20}: {median_time(fn, repeat) * 1000:7.1f} ms")
    print(f"# cProfile of {repeat} runs (a garbage collection lands on whichever function allocates)")
    profiler = cProfile.Profile()
    for _ in range(repeat):
        profiler.runcall(in_process, body, decode)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def machine() -> dict:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    import msgspec

    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "python": platform.python_version(),
        "orjson": orjson.__version__,
        "msgspec": msgspec.__version__,
        "loadavg": os.getloadavg(),
    }


def table(results: list[Result]) -> str:
    head = (
        "| nodes | units | request MB | floor s (GC off) | in-process s (x floor) | reference s (x floor) "
        "| round trip s (x floor) | worker peak MB (idle) | variant |"
    )
    lines = [head, "|" + "---|" * 9]
    for r in results:
        lines.append(
            f"| {r.nodes:,} | {r.units:,} | {r.request_bytes / 1e6:.1f} | {r.floor_s:.3f} ({r.floor_gc_off_s:.3f}) "
            f"| {r.in_process_s:.3f} ({r.in_process_x:.2f}x) | {r.reference_s:.3f} ({r.reference_x:.2f}x) "
            f"| {r.round_trip_s:.3f} ({r.round_trip_x:.2f}x) | {r.worker_peak_mb:.0f} ({r.worker_idle_mb:.0f}) "
            f"| {r.variant} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000,10000", help="node counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (the median is shown)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--min-seconds", type=float, default=1.0, help="keep repeating for at least this long")
    parser.add_argument(
        "--profile", type=int, metavar="NODES", help="only profile the in-process path at NODES (each of --variants)"
    )
    parser.add_argument(
        "--variants",
        default="steady,rollout,rollout-offline",
        help=f"request kinds, comma-separated ({', '.join(VARIANTS)})",
    )
    args = parser.parse_args(argv)
    if args.profile:
        for variant in args.variants.split(","):
            profile(args.profile, args.repeat, variant=variant)
        return 0
    info = machine()
    print(f"# {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, load {info['loadavg']}", flush=True)
    results = []
    for nodes in (int(s) for s in args.sizes.split(",")):
        for variant in args.variants.split(","):
            results.append(measure(nodes, args.repeat, args.min_seconds, variant))
            print(f"# {nodes} nodes ({variant}) done", file=sys.stderr, flush=True)
    info["loadavg_after"] = os.getloadavg()
    print(table(results))
    print(f"# load average after: {info['loadavg_after']}")
    if args.json:
        ratios = ("in_process_x", "reference_x", "round_trip_x")
        rows = [{**asdict(r), **{name: getattr(r, name) for name in ratios}} for r in results]
        args.json.write_text(json.dumps({"machine": info, "route": ROUTE, "results": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
