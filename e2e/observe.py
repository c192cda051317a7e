"""What the scenarios measure: Metacontroller's writes (audit log) and hook calls (hook server log).

Both logs are append-only files; a ``Mark`` is a byte offset, so a scenario reads exactly the lines
written after it started a window, whatever other tests did before.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e2e.cluster import METACONTROLLER_USER, Cluster

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(frozen=True)
class Mark:
    path: Path
    offset: int


def mark(path: Path) -> Mark:
    return Mark(path, path.stat().st_size if path.exists() else 0)


def json_lines_since(start: Mark) -> list[dict[str, Any]]:
    """JSON objects of the complete lines written since ``start`` (plain-text lines are skipped)."""
    if not start.path.exists():
        return []
    with start.path.open("rb") as f:
        f.seek(start.offset)
        data = f.read()
    out = []
    for line in data.split(b"\n")[:-1]:  # the last piece is an incomplete line or empty
        if line.startswith(b"{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def child_writes(start: Mark, namespace: str | None, resources: frozenset[str]) -> list[str]:
    """Metacontroller's write requests on ``resources`` (plural names) in ``namespace`` (None: cluster-scoped
    ones) since ``start``."""
    out = []
    for event in json_lines_since(start):
        ref = event.get("objectRef") or {}
        if (
            event.get("user", {}).get("username") == METACONTROLLER_USER
            and event.get("verb") in WRITE_VERBS
            and ref.get("namespace") == namespace
            and ref.get("resource") in resources
            and not ref.get("subresource")
        ):
            out.append(
                f"{event['verb']} {ref['resource']}/{ref.get('name')} -> {event.get('responseStatus', {}).get('code')}"
            )
    return out


def status_writes(start: Mark, namespace: str, resource: str, name: str) -> list[str]:
    """Metacontroller's writes to the ``status`` of one parent (``resource``: plural) since ``start``."""
    out = []
    for event in json_lines_since(start):
        ref = event.get("objectRef") or {}
        if (
            event.get("user", {}).get("username") == METACONTROLLER_USER
            and event.get("verb") in WRITE_VERBS
            and (ref.get("namespace"), ref.get("resource"), ref.get("name")) == (namespace, resource, name)
            and ref.get("subresource") == "status"
        ):
            out.append(f"{event['verb']} {resource}/{name}/status -> {event.get('responseStatus', {}).get('code')}")
    return out


def hook_calls(
    start: Mark, hook: str, name: str | frozenset[str] | None = None, namespace: str | None = None
) -> list[dict]:
    """Hook calls logged since ``start`` (one JSON line per call, docs/troubleshooting.md), for one parent
    name or any of a set of names."""
    names = frozenset([name]) if isinstance(name, str) else name
    return [
        line
        for line in json_lines_since(start)
        if line.get("message") == "hook call"
        and line.get("hook") == hook
        and (names is None or line.get("name") in names)
        and (namespace is None or line.get("namespace") == namespace)
    ]


def hold(what: str, check: Callable[[], str | None], seconds: float, interval: float = 1.0) -> None:
    """Check a condition for ``seconds``; fail at the first moment it is broken (``check`` names why)."""
    deadline = time.monotonic() + seconds
    while True:
        broken = check()
        if broken:
            raise AssertionError(f"{what} broken after {seconds - (deadline - time.monotonic()):.0f} s: {broken}")
        if time.monotonic() >= deadline:
            return
        time.sleep(interval)


def audit_mark(cluster: Cluster) -> Mark:
    return mark(cluster.audit_log)


def hooks_mark(cluster: Cluster) -> Mark:
    return mark(cluster.hook_log)


def wait_quiet(
    cluster: Cluster, hook: str, name: str | frozenset[str], namespace: str | None, quiet_for: float, timeout: float
) -> None:
    """Wait until the grid has had no hook call for ``quiet_for`` seconds (its children have settled).

    A grid that something keeps waking (heartbeats, say) never gets there, and the wait fails.
    """
    deadline = time.monotonic() + timeout
    start, last_call = hooks_mark(cluster), time.monotonic()
    while time.monotonic() - last_call < quiet_for:
        if hook_calls(start, hook, name=name, namespace=namespace):
            start, last_call = hooks_mark(cluster), time.monotonic()
        if time.monotonic() > deadline:
            names = sorted([name] if isinstance(name, str) else name)
            raise TimeoutError(f"{hook} {namespace}/{names}: never quiet for {quiet_for:.0f} s in {timeout:.0f} s")
        time.sleep(0.5)


def wait_unwritten(
    cluster: Cluster, found: Callable[[Mark], list[str]], quiet_for: float = 10, timeout: float = 90
) -> None:
    """Wait until ``found`` (writes in the audit log since a mark) stays empty for ``quiet_for`` seconds.

    Metacontroller writes a grid's status a moment after its children settle (it lags its own cache), so a
    quiet period measured from the first ready reading may still catch the last of those writes.
    """
    deadline = time.monotonic() + timeout
    while True:
        start = audit_mark(cluster)
        time.sleep(quiet_for)
        writes = found(start)
        if not writes:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"still written after {timeout:.0f} s: {'; '.join(writes)}")


@dataclass(frozen=True)
class ReplicaWrite:
    """One successful write of a workload (or of its ``scale``) and the ``spec.replicas`` it left."""

    name: str
    resource_version: int
    user: str
    verb: str
    subresource: str
    replicas: int | None


def replica_writes(start: Mark, namespace: str, resource: str = "deployments") -> dict[str, list[ReplicaWrite]]:
    """Per object name, every successful write since ``start`` that the audit log records with its bodies,
    in resourceVersion order: Metacontroller's creates and updates, and anyone's writes of ``scale`` (an HPA's).

    Only those can change ``spec.replicas`` in the scenarios (status writes cannot), so replaying them gives
    the value before and after each of Metacontroller's writes (e2e/cluster.py's audit policy).
    """
    out: dict[str, list[ReplicaWrite]] = {}
    for event in json_lines_since(start):
        ref, status = event.get("objectRef") or {}, event.get("responseStatus") or {}
        done = event.get("responseObject")
        if ref.get("namespace") != namespace or ref.get("resource") != resource or not isinstance(done, dict):
            continue
        if status.get("code") not in (200, 201) or event.get("verb") not in ("create", "update", "patch"):
            continue
        write = ReplicaWrite(
            name=ref.get("name") or done["metadata"]["name"],
            resource_version=int(done["metadata"]["resourceVersion"]),
            user=event.get("user", {}).get("username", ""),
            verb=event["verb"],
            subresource=ref.get("subresource") or "",
            replicas=(done.get("spec") or {}).get("replicas"),
        )
        out.setdefault(write.name, []).append(write)
    return {name: sorted(writes, key=lambda w: w.resource_version) for name, writes in out.items()}


def replicas_changed_by(user: str, writes: list[ReplicaWrite]) -> list[str]:
    """``user``'s writes that left ``spec.replicas`` different from the value just before them."""
    out = []
    for before, write in itertools.pairwise(writes):
        if write.user == user and write.replicas != before.replicas:
            out.append(f"{write.verb} {write.name} at {write.resource_version}: {before.replicas} -> {write.replicas}")
    return out


def hook_server_memory(cluster: Cluster) -> dict[int, int]:
    """Peak resident memory (``VmHWM``, bytes) of every process of the local hook server: the gunicorn
    master and its workers, found by the process group the launcher gave the server."""
    group = cluster.procs["hooks"].popen.pid
    peaks = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError):
            if os.getpgid(int(entry.name)) != group:
                continue
            for line in Path(entry.path, "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[int(entry.name)] = int(line.split()[1]) * 1024
    return peaks
