"""Prometheus metrics of the hook server, correct with several gunicorn workers.

Each gunicorn worker is a separate process with its own memory, so a plain
registry would make ``/metrics`` show only the worker that happened to answer
the scrape. When ``PROMETHEUS_MULTIPROC_DIR`` is set (hooks/server/gunicorn_conf.py
sets it before any worker starts), prometheus_client writes every sample to
files in that directory and ``/metrics`` merges all workers' files, those of
dead workers included (folded into one archive file per type by the master,
hooks/server/metric_files.py), so counters never go backwards when a worker
restarts. Without it (tests, ``flask run``), the process's own registry is served.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric

from hooks.server import metric_files

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
HEADER_BYTES = 8  # of a prometheus_client metrics file: how much of it is used, then padding

# What a hook call ended in: ok; not_synced (200 with Synced=False: the grid or some units could not be
# rendered and their children were kept); client_error (4xx: malformed request, wrong content type, too
# large, too slow to arrive); busy (503: the worker's budget of request bodies stayed full until the request's
# deadline); server_error (other 5xx: a bug in a hook).
OUTCOMES = ("ok", "not_synced", "client_error", "busy", "server_error")

SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BYTES = tuple(float(4**n * 1024) for n in range(10))  # 1 KiB .. 256 MiB
COUNTS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)

REQUESTS = Counter("servicegroup_hook_requests", "Hook calls by hook and outcome.", ["hook", "outcome"])
DURATION = Histogram(
    "servicegroup_hook_duration_seconds", "Time to answer a hook call, body read to answer.", ["hook"], buckets=SECONDS
)
REQUEST_BYTES = Histogram(
    "servicegroup_hook_request_bytes", "Size of hook request bodies (Content-Length).", ["hook"], buckets=BYTES
)
UNITS = Histogram(
    "servicegroup_hook_units", "Units (sites) per sync answer that reports them.", ["hook"], buckets=COUNTS
)
CHILDREN = Histogram("servicegroup_hook_children", "Children per sync answer.", ["hook"], buckets=COUNTS)


def declare(hooks: Iterable[str]) -> None:
    """Create every hook/outcome series at zero, so dashboards and rate() see them before the first call."""
    for hook in hooks:
        for outcome in OUTCOMES:
            REQUESTS.labels(hook, outcome)
        DURATION.labels(hook)
        REQUEST_BYTES.labels(hook)


def observe(
    hook: str,
    outcome: str,
    seconds: float,
    request_bytes: int | None,
    units: int | None,
    children: int | None,
) -> None:
    REQUESTS.labels(hook, outcome).inc()
    DURATION.labels(hook).observe(seconds)
    if request_bytes is not None:
        REQUEST_BYTES.labels(hook).observe(request_bytes)
    if units is not None:
        UNITS.labels(hook).observe(units)
    if children is not None:
        CHILDREN.labels(hook).observe(children)


def exposition() -> tuple[bytes, str]:
    """The text format of every worker's metrics (or this process's, outside gunicorn) and its content type."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    registry.register(WorkerFiles(directory))
    with metric_files.locked(directory, exclusive=False):  # the files as they are before a fold, or after it
        return generate_latest(registry), CONTENT_TYPE_LATEST


class WorkerFiles:
    """Every worker's samples: prometheus_client's multiprocess merge of the directory's files.

    A file too short to hold its header is skipped: a worker that is starting creates its file empty and sizes
    it a moment later, and reading it in between would fail the whole scrape. It holds no sample yet.
    """

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def collect(self) -> Iterable[Metric]:
        files = [str(p) for p in Path(self.directory).glob("*.db") if p.stat().st_size >= HEADER_BYTES]
        return multiprocess.MultiProcessCollector.merge(files, accumulate=True)
