"""How much memory the hook server needs, from its settings: the arithmetic of docs/performance.md (Memory).

A worker holds its idle size, the request bodies its budget lets in (at most ``HOOKS_MAX_REQUEST_BYTES`` at
once, hooks/server/capacity.py) and the working set of one computation (one runs at a time): about 0.8 times
the body on the reduced decode path (measured by bench/run.py: 61 MB for the 78 MB, 10,000-node request in
the middle of a rollout), or up to about 30 times ``FULL_DECODE_MAX_BYTES`` when such a body made of empty
JSON objects is decoded in full. The master and the metrics files add little. The pod's memory limit should
cover the sum with a fifth to spare; the server warns at start when its container's limit does not.
"""

from __future__ import annotations

from pathlib import Path

from hooks.server.fast_decode import FULL_DECODE_MAX_BYTES

MB = 1_000_000
IDLE_WORKER = 40 * MB
"""A worker with the app loaded and its threads started (33 MB measured, before any thread)."""
MASTER = 30 * MB
"""gunicorn's master process (28 MB measured) and the metrics files (a few kB per worker)."""
WORKING_SET_PER_BODY_BYTE = 0.8
FULL_DECODE_PEAK = 32 * FULL_DECODE_MAX_BYTES
"""A full decode of a body of empty JSON objects: 127 MB measured for 4 MiB."""
SPARE = 1.2

CGROUP_LIMITS = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


def worker_peak(max_request_bytes: int) -> int:
    """The most one worker holds: idle, its budget of bodies, one computation's working set."""
    working_set = max(WORKING_SET_PER_BODY_BYTE * max_request_bytes, FULL_DECODE_PEAK)
    return int(IDLE_WORKER + max_request_bytes + working_set)


def needed(workers: int, max_request_bytes: int) -> int:
    """The memory limit a pod of ``workers`` workers needs, with a fifth to spare."""
    return int(SPARE * (workers * worker_peak(max_request_bytes) + MASTER))


def container_limit(paths: tuple[Path, ...] = CGROUP_LIMITS) -> int | None:
    """This container's memory limit (cgroup v2, else v1), or None when there is none or it cannot be read."""
    for path in paths:
        try:
            raw = path.read_text().strip()
        except OSError:
            continue
        if raw.isdigit() and int(raw) < 1 << 60:  # v1 reports "no limit" as a huge number, v2 as "max"
            return int(raw)
    return None


def shortfall(workers: int, max_request_bytes: int, limit: int | None) -> str | None:
    """A one-line warning when ``limit`` is below what the settings need; None when it fits or is unknown."""
    want = needed(workers, max_request_bytes)
    if limit is None or limit >= want:
        return None
    return (
        f"memory limit {limit / 2**20:.0f} MiB is below the {want / 2**20:.0f} MiB that HOOKS_WORKERS={workers} and "
        f"HOOKS_MAX_REQUEST_BYTES={max_request_bytes} may need (docs/performance.md, Memory): raise the limit, or "
        "lower either setting"
    )
