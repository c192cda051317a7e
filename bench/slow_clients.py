"""Does the hook server survive slow and odd clients? (docs/performance.md "Slow and odd clients")

    python3 bench/slow_clients.py [--half-sent 2,10,50] [--seconds 8] [--workers 2] [--odd-mb 30]

1. For each N: a fresh server (gunicorn with the repo's config, ``--workers``), N connections that send a sync
   request's headers and 10 of its 1,000 body bytes (then N that stop half-way through their headers), and
   meanwhile ``GET /healthz`` every 0.25 s with the kubelet's 1 s timeout, for ``--seconds`` (less than
   ``HOOKS_READ_TIMEOUT``, so that every slow request hangs for the whole time). Prints the probes' latencies,
   how many failed, and how many slow requests were still hanging at the end.
2. Odd bodies of ``--odd-mb`` MB, each posted to a fresh one-worker server: a JSON list of empty objects, and a
   sync request whose Deployments map is such a list. Prints the answer, its time and the worker's peak memory
   (``VmHWM``).

Not a test: it asserts nothing. Run it from a checkout; it starts the checkout's own server.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.probe_under_load import probe

ROOT = Path(__file__).resolve().parent.parent
SYNC = "/deploymentgrid/sync"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, workers: int) -> None:
        self.port = free_port()
        env = {**os.environ, "HOOKS_BIND": f"127.0.0.1:{self.port}", "HOOKS_WORKERS": str(workers)}
        env.update(HOOKS_LOG_LEVEL="warning", PYTHONPATH=str(ROOT))
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        cmd = [sys.executable, "-m", "gunicorn", "--config", "python:hooks.server.gunicorn_conf", "hooks.app:app"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if probe(self.port, 1.0) is not None and len(self.workers()) == workers:
                time.sleep(1.0)  # every worker has loaded the app
                return
            time.sleep(0.1)
        raise SystemExit("server did not come up")

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def peak_mb(self) -> float:
        (worker,) = self.workers()
        for line in Path(f"/proc/{worker}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
        raise RuntimeError("no VmHWM")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def slow_request(port: int, kind: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    if kind == "body":
        head = f"POST {SYNC} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        sock.sendall(head.encode() + b"{" * 10)
    else:
        sock.sendall(f"POST {SYNC} HTTP/1.1\r\nHost: x\r\nContent-Ty".encode())
    return sock


def still_hanging(sock: socket.socket) -> bool:
    """Neither answered nor closed by the server yet."""
    sock.setblocking(False)
    try:
        sock.recv(1)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def half_sent(n: int, kind: str, workers: int, seconds: float) -> str:
    server = Server(workers)
    try:
        slow = [slow_request(server.port, kind) for _ in range(n)]
        time.sleep(0.5)
        results: list[float | None] = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            results.append(probe(server.port, 1.0))
            time.sleep(0.25)
        hanging = sum(still_hanging(sock) for sock in slow)
        for sock in slow:
            sock.close()
    finally:
        server.stop()
    ok = sorted(r for r in results if r is not None)
    figures = (
        f"median {statistics.median(ok) * 1000:.0f} ms, p95 {ok[max(0, int(len(ok) * 0.95) - 1)] * 1000:.0f} ms, "
        f"max {ok[-1] * 1000:.0f} ms"
        if ok
        else "-"
    )
    return f"| {n} | {kind} | {len(results)} | {len(results) - len(ok)} | {figures} | {hanging} of {n} |"


def odd_bodies(megabytes: float) -> list[str]:
    count = int(megabytes * 1e6 / 3)
    objects = b"[" + b"{}," * count + b"{}]"
    shaped = b'{"parent": {"metadata": {"name": "web"}}, "related": {}, "children": {"Deployment.apps/v1": '
    bodies = {"list of empty objects": objects, "sync request, Deployments map a list": shaped + objects + b"}}"}
    rows = []
    for name, body in bodies.items():
        server = Server(1)
        try:
            started = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
            conn.request("POST", SYNC, body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            answer = resp.read()[:70].decode(errors="replace")
            took = time.monotonic() - started
            size = len(body) / 1e6
            rows.append(f"| {name} | {size:.0f} | {resp.status} {answer} | {took:.2f} | {server.peak_mb():.0f} |")
        finally:
            server.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half-sent", default="2,10,50", help="numbers of slow requests, comma-separated ('': none)")
    parser.add_argument("--seconds", type=float, default=8.0, help="probing time per run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--odd-mb", type=float, default=30.0, help="size of the odd bodies (0: skip them)")
    args = parser.parse_args(argv)
    print(f"# {os.cpu_count()} CPUs, load {os.getloadavg()}, {args.workers} workers, {args.seconds:g} s of probes")
    if args.half_sent:
        print("| slow requests | stopped in | probes | failed (>1 s) | probe latency | still hanging at the end |")
        print("|---|---|---|---|---|---|")
        for n in (int(s) for s in args.half_sent.split(",")):
            for kind in ("body", "headers"):
                print(half_sent(n, kind, args.workers, args.seconds), flush=True)
    if args.odd_mb:
        print("\n| odd body | MB | answer | seconds | worker peak MB |\n|---|---|---|---|---|")
        for row in odd_bodies(args.odd_mb):
            print(row, flush=True)
    print(f"# load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
