"""Do the kubelet's probes stay green while the hook server is busy? (docs/performance.md)

    python3 bench/probe_under_load.py [--nodes 5000] [--seconds 60] [--clients 2] [--workers 2]

Starts ``servicegroup serve`` (gunicorn, as in the container), keeps ``--clients`` connections posting the
benchmark's steady-state sync request (bench/fleet.py, the request bench/run.py measures) back to back, and
meanwhile sends ``GET /healthz`` every ``--period`` seconds with the probes' timeout, as the kubelet does.
Prints the probe latencies, how many probes would have failed, and each worker's peak memory (``VmHWM``): with
more clients than workers, requests wait for their worker's body budget and computation, not in memory.
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import build_body  # noqa: E402

ROUTE = "/deploymentgrid/sync"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not come up")


def load(port: int, body: bytes, stop: threading.Event, times: list[float]) -> None:
    """One Metacontroller-like client: sync requests back to back on a fresh connection each."""
    while not stop.is_set():
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", ROUTE, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status == 200:
            times.append(time.monotonic() - started)


def probe(port: int, timeout: float) -> float | None:
    """One kubelet-style probe: seconds to a 200, or None (a failure: timeout, refused, non-200)."""
    started = time.monotonic()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
    except OSError:
        return None
    return time.monotonic() - started if ok else None


def worker_peaks_mb(master: int) -> list[float]:
    """``VmHWM`` of each of the master's children, in MB."""
    peaks = []
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) * 1024 / 1e6)
    return peaks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=2, help="concurrent sync clients (default: one per worker)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--period", type=float, default=1.0, help="seconds between probes")
    parser.add_argument("--timeout", type=float, default=1.0, help="probe timeout (the kubelet's default: 1 s)")
    args = parser.parse_args(argv)

    body = build_body(args.nodes)
    port = free_port()
    env = {**os.environ, "HOOKS_LOG_LEVEL": "warning"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hooks.cli.main",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(port, time.monotonic() + 30)
        stop = threading.Event()
        syncs: list[float] = []
        clients = [threading.Thread(target=load, args=(port, body, stop, syncs)) for _ in range(args.clients)]
        for client in clients:
            client.start()
        results: list[float | None] = []
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            results.append(probe(port, args.timeout))
            time.sleep(args.period)
        stop.set()
        for client in clients:
            client.join()
        peaks = worker_peaks_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    ok = sorted(r for r in results if r is not None)
    failed = len(results) - len(ok)
    print(f"request: {len(body) / 1e6:.1f} MB, {args.nodes} nodes; {args.workers} workers, {args.clients} clients")
    print(f"syncs served: {len(syncs)}, median {statistics.median(syncs):.2f} s, max {max(syncs):.2f} s")
    print(
        f"probes: {len(results)}, failed (>{args.timeout:.0f} s or error): {failed}; latency median "
        f"{statistics.median(ok) * 1000:.0f} ms, p95 {ok[int(len(ok) * 0.95) - 1] * 1000:.0f} ms, "
        f"max {ok[-1] * 1000:.0f} ms"
        if ok
        else f"probes: {len(results)}, all failed"
    )
    print("worker peak memory: " + ", ".join(f"{peak:.0f} MB" for peak in peaks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
