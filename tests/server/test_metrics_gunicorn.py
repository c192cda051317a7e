"""/metrics across gunicorn workers: started with `servicegroup serve`, workers killed and replaced mid-way."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.cli.test_cli import ROOT, console_entry
from tests.server.test_gunicorn import free_port
from tests.server.test_observability import parse, value
from tests.support.builders import grid, site_nodes, sync_request

SYNC = "/deploymentgrid/sync"
OK = {"hook": "deploymentgrid/sync", "outcome": "ok"}


class Server:
    """`servicegroup serve` in a subprocess; its stderr (gunicorn's log and the JSON lines) goes to a file."""

    def __init__(self, tmp_path: Path, metrics_dir: Path | None = None) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.log = tmp_path / f"server-{port}.log"
        env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        if metrics_dir is not None:
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [*console_entry(), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        try:
            self.wait_until(lambda: len(self.workers()) == 2 and self.healthy())
        except BaseException:  # never leave a server running behind a failed start
            self.stop()
            raise

    def healthy(self) -> bool:
        try:
            return requests.get(self.base + "/healthz", timeout=1).ok
        except requests.RequestException:  # not listening yet, or its worker still loading the app
            return False

    def wait_until(self, ready, what: str | Callable[[], str] = "gunicorn to serve with 2 workers") -> None:
        for _ in range(150):
            if self.proc.poll() is not None:
                pytest.fail(f"server exited: {self.log.read_text()}")
            if ready():
                return
            time.sleep(0.1)
        pytest.fail(f"timed out waiting for {what if isinstance(what, str) else what()}: {self.log.read_text()}")

    def workers(self) -> set[int]:
        """Pids of the gunicorn master's children (`serve` execs gunicorn, so the master is our process)."""
        found = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid and fields[0] != "Z":
                    found.add(int(entry.name))
        return found

    def sync(self, n: int) -> None:
        for _ in range(n):
            resp = requests.post(self.base + SYNC, json=sync_request(grid(), site_nodes(a=1, b=1)), timeout=10)
            assert resp.status_code == 200

    def scrape(self) -> dict:
        resp = requests.get(self.base + "/metrics", timeout=10)
        assert resp.status_code == 200
        return parse(resp.text)

    def call_lines(self) -> list[dict]:
        lines = [line for line in self.log.read_text().splitlines() if line.startswith("{")]
        return [entry for entry in map(json.loads, lines) if entry.get("message") == "hook call"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path)
    yield srv
    srv.stop()


def test_counts_cover_all_workers_including_dead_ones(server):
    server.sync(6)
    requests.post(server.base + SYNC, data=b"{", headers={"Content-Type": "application/json"}, timeout=10)
    first = server.workers()
    for pid in first:  # a crash, not a clean exit: the samples must already be on disk
        os.kill(pid, signal.SIGKILL)
    server.wait_until(lambda: len(server.workers()) == 2 and not server.workers() & first, "replacement workers")
    server.sync(3)

    scrapes = [server.scrape() for _ in range(4)]  # answered by either worker: all must agree
    for samples in scrapes:
        assert value(samples, "servicegroup_hook_requests_total", **OK) == 9
        assert (
            value(samples, "servicegroup_hook_requests_total", hook="deploymentgrid/sync", outcome="client_error") == 1
        )
        assert value(samples, "servicegroup_hook_duration_seconds_count", hook="deploymentgrid/sync") == 10
        assert value(samples, "servicegroup_hook_children_sum", hook="deploymentgrid/sync") == 18

    lines = server.call_lines()
    assert len(lines) == 10
    served_by = {line["pid"] for line in lines}
    assert len(served_by) >= 2 and served_by & first and served_by - first


def test_a_restart_starts_from_zero_and_keeps_a_given_directory(tmp_path):
    directory = tmp_path / "metrics"
    first = Server(tmp_path, directory)
    try:
        first.sync(2)
        assert value(first.scrape(), "servicegroup_hook_requests_total", **OK) == 2
    finally:
        first.stop()
    assert any(p.suffix == ".db" for p in directory.iterdir()), "a directory given by the operator is kept"
    second = Server(tmp_path, directory)
    try:
        assert value(second.scrape(), "servicegroup_hook_requests_total", **OK) == 0
    finally:
        second.stop()


def files_of(directory: Path) -> set[str]:
    return {path.name for path in directory.glob("*.db")}


def test_dead_workers_files_are_folded_and_totals_never_drop(tmp_path):
    """Workers killed one after another while a scraper reads /metrics back to back: no scrape ever shows a
    smaller total than the one before, and the directory keeps the archive and the live workers' files only."""
    directory = tmp_path / "metrics"
    srv = Server(tmp_path, directory)
    seen: list[float] = []
    stop = threading.Event()

    def scrape_forever() -> None:
        while not stop.is_set():
            with contextlib.suppress(requests.RequestException):  # the worker answering was the one killed
                seen.append(value(srv.scrape(), "servicegroup_hook_requests_total", **OK))

    scraper = threading.Thread(target=scrape_forever)
    scraper.start()
    try:
        for round_ in range(1, 7):
            srv.sync(2)
            srv.wait_until(lambda: {f"counter_{pid}.db" for pid in srv.workers()} <= files_of(directory), "files")
            victim = min(srv.workers())
            os.kill(victim, signal.SIGKILL)
            srv.wait_until(lambda v=victim: len(srv.workers()) == 2 and v not in srv.workers(), "a new worker")
            owners = [*srv.workers(), "archive"]
            expected = {f"{kind}_{who}.db" for kind in ("counter", "histogram") for who in owners}
            srv.wait_until(
                lambda e=expected: files_of(directory) == e,
                lambda e=expected: f"the files {sorted(e)} (found {sorted(files_of(directory))})",
            )
            assert value(srv.scrape(), "servicegroup_hook_requests_total", **OK) == 2 * round_
    finally:
        stop.set()
        scraper.join(timeout=30)
        srv.stop()
    assert len(seen) > 10 and seen == sorted(seen) and seen[-1] == 12
