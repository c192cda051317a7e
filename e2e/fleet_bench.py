"""Fleet benchmark on a real control plane: one DeploymentGrid over N sites, through Metacontroller.

Not a test (pytest collects only ``e2e/test_*.py``). For each number of sites and each set of Metacontroller
client limits it starts a fresh cluster with the launcher (``e2e/cluster.py``), makes ``--nodes-per-site``
kwok Nodes per site (label ``site=site-NNN``), and times three phases of one DeploymentGrid (1 replica per
site, image ``registry.k8s.io/pause:3.10``; kwok runs no containers):

- ``apply``: the grid applied -> every child Deployment Available;
- ``template``: an env value of the template changed -> every child carries it and has rolled out;
- ``new site``: an existing Ready Node labelled with a new site -> that site's Deployment Available; with
  ``--new-sites K`` K sites one after another, a few seconds apart, and the comparison gives their mean (a new
  site costs a tenth of a CPU second or so, over about a second: one alone is a noisy figure).

Each phase records three moments: every child *written* by Metacontroller (its part), every child
*Available* (read from the Deployments themselves: the ground truth, which the controller manager, the
scheduler and kwok produce), and the grid's *status* reporting ``readyUnits == units == N`` for its
current generation (what ``kubectl wait`` on the grid sees: one more sync after the last child changed).
Between ``apply`` and ``template`` an ``idle`` window measures what node heartbeats cost at rest.

Per phase it also records the CPU seconds of every component's process tree (``/proc/<pid>/stat`` utime,
stime and reaped children: the hook server is gunicorn's master and workers), the peak resident memory of
each tree (the sum of its processes' ``VmHWM``), the hook calls (the hook server's JSON log) and the
controller's write requests (the API server's audit log).

With ``--site-source NodeUnits`` (ours only) a NodeGroup of the key is applied and its NodeUnits awaited
before the grid, which gets ``spec.siteSource: NodeUnits``; the new-site phase then also records when the
site's NodeUnit appeared, and the NodeGroup's sync calls are counted apart from the grid's. ``--grids G``
applies G DeploymentGrids of the key, each over every site, and every phase waits for all of them.
``--regions R`` (ours) instead labels every Node with one of R regions (``region=r0`` ...; sites dealt out in
turn) and splits the one grid into R grids, each selecting its region with ``spec.nodeSelector``: the same
children, but each sync carries one region's Nodes and children (the new site's Nodes get its region too). With
``--site-source NodeSummaries`` the region grids read summaries, which carry their Node's region label.
``--spread`` draws each Node's next status post from 0.5-1.5 heartbeats instead of exactly one, so posts
come spread over time as a real fleet's kubelets send them (in step, every Node created together posts
together); the phases then start half a heartbeat after the Nodes were Ready, when the spread posts have begun.

With ``--impl ours,peer`` every site count also runs on a fresh cluster of its own with SuperEdge's
application-grid-controller in place of Metacontroller and the hook server (``e2e/peer.py``: built by hand,
given by environment variables), the same grid and phases, and the comparison table prints both side by
side with the ratios ours / peer.

    python -m e2e.fleet_bench --sites 50,200 --qps 5,50 --burst 10,100 --workers 5
    python -m e2e.fleet_bench --sites 200 --qps 1000 --burst 1000 --nodes-per-site 2 --impl ours,peer
    python -m e2e.fleet_bench --sites 200 --qps 1000 --burst 1000 --nodes-per-site 2 --site-source NodeUnits
    python -m e2e.fleet_bench --sites 500 --qps 1000 --burst 1000 --nodes-per-site 2 --regions 10 --impl ours,peer

See docs/performance.md ("Real cluster") for figures and how to read them.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

from e2e import peer
from e2e.cluster import (
    LOOPBACK,
    Cluster,
    Options,
    find_metacontroller,
    find_metacontroller_crds,
    free_port,
    sigterm_as_interrupt,
)
from e2e.fleet_compare import comparison_table, hook_table
from e2e.kube import Kube, path_of
from e2e.manifests import node_summary_decorators
from e2e.observe import Mark, hook_calls, json_lines_since, mark
from e2e.procs import poll
from e2e.scenario import node_group

KEY = "site"
REGION_KEY = "region"
GRID = "fleet"
NAMESPACE = "fleet"
IMAGE = "registry.k8s.io/pause:3.10"
GRID_SELECTOR = "superedge.io/grid-selector"
SPARE_LABEL = {"fleet.e2e.servicegroup.io/spare": "true"}
SYNC_HOOK = "deploymentgrid/sync"
NODEGROUP_HOOK = "nodegroup/sync"
SUMMARY_HOOK = "nodesummary/sync"
MARK_HOOK = "nodeready/sync"
SITE_SOURCES = ("Nodes", "NodeUnits", "NodeSummaries")
DECORATOR = "servicegroup-nodezone"
MILESTONES = ("written", "available", "status")
# The peer's grid status has no readiness summary to wait for (a map of per-site Deployment statuses).
PEER_MILESTONES = ("written", "available")
IMPLEMENTATIONS = ("ours", "peer")
NEW_SITE_GAP = 3.0  # seconds between two new sites, not measured
NEW_SITE_POLL = 0.1  # seconds between two reads of a new site's children and grid (other phases: 0.5)
# Components whose CPU is recorded; "hooks" is gunicorn (master and workers), "bench" this process.
COMPONENTS = (
    "hooks", "metacontroller", peer.PROCESS,
    "kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kwok",
)  # fmt: skip
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# ---- pure helpers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Metacontroller's --client-go-qps, --client-go-burst and --workers for one run."""

    qps: float
    burst: int
    workers: int

    def label(self) -> str:
        return f"{self.qps:g}/{self.burst}/{self.workers}"


def parse_numbers(text: str, kind: Callable[[str], Any] = int) -> list:
    """``"50,200"`` -> ``[50, 200]``; empty items are ignored."""
    return [kind(part) for part in text.split(",") if part.strip()]


def limit_sets(qps: Sequence[float], burst: Sequence[int] | None, workers: Sequence[int]) -> list[Limits]:
    """qps and burst pair up (burst defaults to twice the qps, as Metacontroller's 5/10); workers cross them."""
    bursts = list(burst) if burst else [int(2 * q) for q in qps]
    if len(bursts) != len(qps):
        raise ValueError(f"--burst needs one value per --qps value ({len(qps)}), got {len(bursts)}")
    return [Limits(q, b, w) for (q, b), w in itertools.product(zip(qps, bursts, strict=True), workers)]


def site_name(index: int, width: int = 3) -> str:
    return f"site-{index:0{width}d}"


def deployment_available(dep: Mapping) -> bool:
    """The Deployment's controller has seen its spec, and all its replicas are available."""
    status = dep.get("status") or {}
    want = (dep.get("spec") or {}).get("replicas", 1)
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    return (
        status.get("observedGeneration") == dep["metadata"].get("generation")
        and conditions.get("Available") == "True"
        and status.get("availableReplicas", 0) >= want
    )


def template_env(dep: Mapping, name: str) -> str | None:
    """The value of env ``name`` in the first container of a Deployment's pod template (None if absent)."""
    containers = dep.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or [{}]
    return next((e.get("value") for e in containers[0].get("env") or [] if e.get("name") == name), None)


def rolled_out(dep: Mapping) -> bool:
    """``kubectl rollout status`` done: spec observed, every replica updated and available, no old pods."""
    status = dep.get("status") or {}
    want = (dep.get("spec") or {}).get("replicas", 1)
    return (
        deployment_available(dep)
        and status.get("updatedReplicas", 0) == want
        and status.get("replicas", 0) == want
        and not status.get("unavailableReplicas")
    )


def grid_ready(grid: Mapping | None, units: int) -> bool:
    """The grid's status is for its current generation and reports ``units`` units, all ready."""
    if not grid:
        return False
    status = grid.get("status") or {}
    return (
        status.get("observedGeneration") == grid["metadata"].get("generation")
        and status.get("units") == units
        and status.get("readyUnits") == units
    )


def wait_milestones(
    check: Callable[[], Mapping[str, bool]],
    names: Sequence[str],
    timeout: float,
    interval: float = 0.5,
    start: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, float | None]:
    """Call ``check`` until every milestone in ``names`` has been true once; the seconds when each first was.

    Seconds count from ``start`` (a ``clock()`` value; default: now), e.g. from just before the change
    that began the phase. A milestone once reached stays reached (a later poll may see an older cache).
    One not reached within ``timeout`` is None.
    """
    start = clock() if start is None else start
    reached: dict[str, float | None] = dict.fromkeys(names)
    while True:
        state = check()
        now = clock() - start
        for name in names:
            if reached[name] is None and state.get(name):
                reached[name] = now
        if all(v is not None for v in reached.values()) or now >= timeout:
            return reached
        sleep(interval)


def parse_stat(text: str) -> tuple[int, int, float]:
    """``/proc/<pid>/stat`` -> (pid, ppid, CPU seconds: utime + stime + cutime + cstime).

    The command name (field 2) is in parentheses and may hold spaces and parentheses itself, so the fields
    are counted from the last ``)``. cutime/cstime are the CPU of children already reaped (a restarted
    gunicorn worker's seconds move to its master), never of live ones, so a sum over a tree counts each
    second once.
    """
    pid = int(text[: text.index("(")])
    rest = text[text.rindex(")") + 2 :].split()
    # rest[0] is field 3 (state); utime..cstime are fields 14-17
    ppid = int(rest[1])
    ticks = sum(int(x) for x in rest[11:15])
    return pid, ppid, ticks / CLOCK_TICKS


def tree_pids(stats: Iterable[tuple[int, int, float]], root: int) -> list[int]:
    """``root`` and the pids of all its live descendants, from parsed stat lines (root first)."""
    children: dict[int, list[int]] = {}
    for pid, ppid, _ in stats:
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def tree_cpu(stats: Iterable[tuple[int, int, float]], root: int) -> float:
    """CPU seconds of ``root`` and all its live descendants, from parsed stat lines."""
    stats = list(stats)
    cpu = {pid: seconds for pid, _, seconds in stats}
    return sum(cpu.get(pid, 0.0) for pid in tree_pids(stats, root))


def parse_peak_rss(status: str) -> float:
    """``/proc/<pid>/status`` -> the process's peak resident set (``VmHWM``) in MB; 0 when absent (a zombie)."""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6  # the kernel writes kB (KiB)
    return 0.0


def tree_peak_rss(stats: Iterable[tuple[int, int, float]], root: int) -> float:
    """The sum of the peak resident sets of ``root`` and its live descendants, in MB.

    Each process's own peak; they need not have come at the same moment, so this bounds the tree's peak from
    above (for gunicorn: the master's and each worker's).
    """
    total = 0.0
    for pid in tree_pids(stats, root):
        with contextlib.suppress(OSError):
            total += parse_peak_rss(Path(f"/proc/{pid}/status").read_text())
    return total


def read_all_stats() -> list[tuple[int, int, float]]:
    out = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError):
                out.append(parse_stat(Path(entry.path, "stat").read_text()))
    return out


@dataclass
class PhaseResult:
    sites: int
    limits: str
    phase: str
    seconds: dict[str, float | None]  # milestone -> seconds after the phase began (None: not reached)
    wall: float  # the phase's measured window
    sync_calls: int
    hook_busy: float  # summed duration_ms of the sync calls, in seconds
    request_mb: float  # summed request bytes of the sync calls
    mc_writes: dict[str, int]  # "verb resource[/subresource]" -> count (the controller's: Metacontroller or peer)
    cpu: dict[str, float] = field(default_factory=dict)  # component -> CPU seconds in the window
    impl: str = "ours"  # "ours" (Metacontroller + hook server) or "peer" (SuperEdge's controller)
    rss_mb: dict[str, float] = field(default_factory=dict)  # component -> peak resident MB since its start
    site_source: str = "Nodes"  # the grid's spec.siteSource (ours only)
    nodegroup_calls: int = 0  # the NodeGroup's sync calls (siteSource NodeUnits), counted apart from the grid's
    nodegroup_busy: float = 0.0  # summed duration_ms of those calls, in seconds
    nodegroup_mb: float = 0.0  # summed request bytes of those calls
    summary_calls: int = 0  # the node summary decorator's calls (siteSource NodeSummaries: one per transition)
    summary_busy: float = 0.0  # summed duration_ms of those calls, in seconds
    mark_calls: int = 0  # the ready mark decorator's calls (siteSource NodeSummaries: one per Node post)
    mark_busy: float = 0.0  # summed duration_ms of those calls, in seconds
    cpu_window: float = 0.0  # seconds between the two CPU snapshots (the wall time and the settling after it)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "timeout" if value is None else f"{value:.{digits}f}"


def writes_summary(writes: Mapping[str, int]) -> str:
    """``{"create deployments": 50, "update deploymentgrids/status": 3}`` -> ``50 create, 3 status``."""
    creates = sum(n for k, n in writes.items() if k.startswith("create ") and "/" not in k)
    updates = sum(n for k, n in writes.items() if k.startswith(("update ", "patch ")) and "/" not in k)
    status = sum(n for k, n in writes.items() if k.endswith("/status"))
    parts = [f"{creates} create" if creates else "", f"{updates} update" if updates else "", f"{status} status"]
    return ", ".join(p for p in parts if p)


def markdown_table(results: Sequence[PhaseResult]) -> str:
    """The headline table: one row per run and phase (the peer's CPU is in ``cpu_table``)."""
    head = (
        "| sites | MC qps/burst/workers | phase | children written (s) | all Available (s) | grid readyUnits (s) "
        "| sync calls | hook CPU (s) | MC CPU (s) | controller writes |"
    )
    rows = [head, "|" + "---|" * 10]
    for r in results:
        # a milestone the run did not wait for (the peer's grid status) is "-", one not reached "timeout"
        times = (
            ["", "", ""] if r.phase == "idle" else [_fmt(r.seconds[m]) if m in r.seconds else "-" for m in MILESTONES]
        )
        rows.append(
            f"| {r.sites} | {r.limits} | {r.phase}{f' ({r.wall:.0f} s)' if r.phase == 'idle' else ''} | "
            + " | ".join(times)
            + f" | {r.sync_calls} | {r.cpu.get('hooks', 0):.2f} | {r.cpu.get('metacontroller', 0):.1f} "
            f"| {writes_summary(r.mc_writes)} |"
        )
    return "\n".join(rows)


def cpu_table(results: Sequence[PhaseResult]) -> str:
    """CPU seconds of every component per run and phase, and the phase's wall time (2 cores = 2 s/s)."""
    names = [*COMPONENTS, "bench"]
    head = "| sites | MC limits | phase | wall (s) | " + " | ".join(names) + " |"
    rows = [head, "|" + "---|" * (4 + len(names))]
    for r in results:
        cells = " | ".join(f"{r.cpu.get(n, 0):.1f}" for n in names)
        rows.append(f"| {r.sites} | {r.limits} | {r.phase} | {r.wall:.1f} | {cells} |")
    return "\n".join(rows)


# ---- the cluster side --------------------------------------------------------------------------------


def deployment_template(env_value: str, app: str = GRID) -> dict:
    return {
        "replicas": 1,
        "selector": {"matchLabels": {"app": app}},
        "template": {
            "metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": app, "image": IMAGE, "env": [{"name": "REV", "value": env_value}]}]},
        },
    }


def grid_names(count: int) -> list[str]:
    """The benchmark's grids: the first keeps the single-grid name, so one-grid runs are unchanged."""
    return [GRID, *(f"{GRID}-g{i}" for i in range(1, count))]


def region_of(site: int, regions: int) -> str:
    """The region label value of site number ``site``: sites are dealt out over the regions in turn."""
    return f"r{site % regions}"


@dataclass(frozen=True)
class Layout:
    """Which grids there are and which of them has a child in which site.

    Either ``grids`` DeploymentGrids each over every site (``--grids``), or, with ``regions`` above 1, one
    grid per region, each selecting its region's Nodes with ``spec.nodeSelector`` (``--regions``): every site
    then has one child, and each grid's sync carries only its region's Nodes and children.
    """

    grids: tuple[str, ...]
    regions: int = 1

    @classmethod
    def of(cls, grids: int, regions: int) -> Layout:
        if regions > 1:
            return cls(tuple(f"{GRID}-{region_of(j, regions)}" for j in range(regions)), regions)
        return cls(tuple(grid_names(grids)))

    def grids_of(self, site: int) -> tuple[str, ...]:
        return (self.grids[site % self.regions],) if self.regions > 1 else self.grids

    def units_of(self, grid: str, sites: int) -> int:
        """How many of sites ``0 .. sites - 1`` the grid serves."""
        return sum(grid in self.grids_of(i) for i in range(sites))

    def region(self, grid: str) -> str | None:
        return region_of(self.grids.index(grid), self.regions) if self.regions > 1 else None

    def node_labels(self, site: int, width: int) -> dict[str, str]:
        labels = {KEY: site_name(site, width)}
        if self.regions > 1:
            labels[REGION_KEY] = region_of(site, self.regions)
        return labels


def grid_object(site_source: str = "Nodes", name: str = GRID, region: str | None = None) -> dict:
    """One benchmark grid; ``spec.siteSource`` is written only when it is not the default (Nodes)."""
    spec: dict[str, Any] = {"gridUniqKey": KEY, "template": deployment_template("1", name)}
    if site_source != "Nodes":
        spec["siteSource"] = site_source
    if region is not None:
        spec["nodeSelector"] = {"matchLabels": {REGION_KEY: region}}
    return {
        "apiVersion": "superedge.io/v1",
        "kind": "DeploymentGrid",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": spec,
    }


def live_units(units: Iterable[Mapping], key: str = KEY) -> set[str]:
    """Names of the sites of ``key`` that have a NodeUnit with nodes (a tombstone, ``spec.nodes: []``, is not one)."""
    return {
        u["spec"].get("unit") or u["metadata"]["name"]
        for u in units
        if u.get("spec", {}).get("gridUniqKey") == key and u["spec"].get("nodes")
    }


def calls_summary(calls: Sequence[Mapping]) -> tuple[int, float, float]:
    """Hook-log lines -> (calls, seconds the hooks took, request MB)."""
    busy = sum(c.get("duration_ms") or 0 for c in calls) / 1000
    return len(calls), busy, sum(c.get("request_bytes") or 0 for c in calls) / 1e6


@dataclass(frozen=True)
class Settings:
    """What every run of one invocation shares (the command line)."""

    heartbeat: float = 30.0
    heartbeat_spread: bool = False  # posts spread over time (e2e.cluster.heartbeat_delay), not in step
    timeout: float = 900.0
    keep_decorator: bool = False
    nodes_per_site: int = 1
    mc_args: tuple[str, ...] = ()
    profile_dir: Path | None = None  # Metacontroller CPU profiles of the idle, template and new-site phases go here
    profile_seconds: float = 45.0
    site_source: str = "Nodes"  # ours only: with NodeUnits a NodeGroup of the key is applied before the grid
    grids: int = 1  # DeploymentGrids of the key, each over every site
    regions: int = 1  # ours only: above 1, the sites are split over this many grids by a region label
    new_sites: int = 1  # sites added one after another in the new-site phase


def node_grace(heartbeat: float) -> int:
    """The controller manager's node grace period for a heartbeat interval: 3 intervals, at least its 50 s default.

    kwok posts a node's status every ``heartbeat`` seconds (spread: every 0.5-1.5 intervals), later when the
    machine is busy; the launcher's short default grace (for the offline-site scenarios) would mark nodes
    NotReady between posts, and their pods with them, in the middle of a phase.
    """
    return max(50, int(3 * heartbeat))


def node_name(site: int, index: int, width: int) -> str:
    return f"node-{site:0{width}d}-{index}"


class Run:
    """One cluster, one site count, one implementation (with Metacontroller: one set of limits): the phases."""

    def __init__(self, sites: int, limits: Limits, settings: Settings, impl: str = "ours") -> None:
        self.sites, self.limits, self.settings, self.impl = sites, limits, settings, impl
        self.timeout = settings.timeout
        self.width = max(3, len(str(sites + settings.new_sites)))
        self.milestones = MILESTONES if impl == "ours" else PEER_MILESTONES
        self.layout = Layout.of(settings.grids, settings.regions if impl == "ours" else 1)
        self.grids = self.layout.grids
        self.pprof_port = free_port() if impl == "ours" and settings.profile_dir else None
        mc_args = settings.mc_args + ((f"--pprof-address={LOOPBACK}:{self.pprof_port}",) if self.pprof_port else ())
        options = Options(
            settings.heartbeat,
            node_grace_seconds=node_grace(settings.heartbeat),
            heartbeat_spread=settings.heartbeat_spread,
            mc_qps=limits.qps,
            mc_burst=limits.burst,
            mc_workers=limits.workers,
            mc_args=mc_args,
        )
        self.cluster = Cluster(options)
        self.results: list[PhaseResult] = []

    def label(self) -> str:
        grids = f" x{len(self.grids)} grids" if len(self.grids) > 1 else ""
        grids += " by region" if self.layout.regions > 1 else ""
        if self.impl != "ours":
            return f"peer {self.limits.qps:g}/{self.limits.burst}{grids}"
        source = "" if self.settings.site_source == "Nodes" else f" {self.settings.site_source}"
        return self.limits.label() + source + grids

    @property
    def summaries(self) -> bool:
        return self.impl == "ours" and self.settings.site_source == "NodeSummaries"

    @property
    def node_units(self) -> bool:
        return self.impl == "ours" and self.settings.site_source == "NodeUnits"

    # snapshots

    def cpu(self) -> dict[str, float]:
        stats = read_all_stats()
        out = {}
        for name in COMPONENTS:
            proc = self.cluster.procs.get(name)
            if proc and proc.popen:
                out[name] = tree_cpu(stats, proc.popen.pid)
        t = os.times()
        out["bench"] = t.user + t.system
        return out

    def peak_rss(self) -> dict[str, float]:
        stats = read_all_stats()
        return {
            name: tree_peak_rss(stats, proc.popen.pid)
            for name, proc in self.cluster.procs.items()
            if name in COMPONENTS and proc.popen
        }

    def marks(self) -> tuple[Mark, Mark, dict[str, float], float]:
        return mark(self.cluster.hook_log), mark(self.cluster.audit_log), self.cpu(), time.monotonic()

    def record(self, phase: str, start: tuple[Mark, Mark, dict[str, float], float], seconds: dict) -> PhaseResult:
        hooks_at, audit_at, cpu_at, t0 = start
        wall = time.monotonic() - t0
        time.sleep(0.5)  # the hook server logs a call after answering it; the audit log is written in blocking mode
        cpu_now = self.cpu()
        cpu_window = time.monotonic() - t0
        calls = hook_calls(hooks_at, SYNC_HOOK)
        ng_calls, ng_busy, ng_mb = calls_summary(hook_calls(hooks_at, NODEGROUP_HOOK))
        sum_calls, sum_busy, _ = calls_summary(hook_calls(hooks_at, SUMMARY_HOOK))
        mark_calls, mark_busy, _ = calls_summary(hook_calls(hooks_at, MARK_HOOK))
        writes: dict[str, int] = {}
        for event in json_lines_since(audit_at):
            ref = event.get("objectRef") or {}
            sub = f"/{ref['subresource']}" if ref.get("subresource") else ""
            key = f"{event.get('verb')} {ref.get('resource')}{sub}"
            writes[key] = writes.get(key, 0) + 1
        result = PhaseResult(
            sites=self.sites,
            limits=self.label(),
            phase=phase,
            seconds=seconds,
            wall=wall,
            sync_calls=len(calls),
            hook_busy=sum(c.get("duration_ms") or 0 for c in calls) / 1000,
            request_mb=sum(c.get("request_bytes") or 0 for c in calls) / 1e6,
            mc_writes=writes,
            cpu={k: cpu_now[k] - cpu_at.get(k, 0.0) for k in cpu_now},
            impl=self.impl,
            rss_mb=self.peak_rss(),
            site_source=self.settings.site_source if self.impl == "ours" else "Nodes",
            nodegroup_calls=ng_calls,
            nodegroup_busy=ng_busy,
            nodegroup_mb=ng_mb,
            summary_calls=sum_calls,
            summary_busy=sum_busy,
            mark_calls=mark_calls,
            mark_busy=mark_busy,
            cpu_window=cpu_window,
        )
        self.results.append(result)
        say(
            f"  {phase}: {json.dumps(seconds)} wall {wall:.1f} s, {len(calls)} grid sync calls, "
            f"{ng_calls} NodeGroup sync calls, {sum_calls} summary calls, {writes}"
        )
        return result

    # reading the cluster

    def children(self) -> dict[str, dict]:
        params = {"labelSelector": f"{GRID_SELECTOR} in ({','.join(self.grids)})", "resourceVersion": "0"}
        items = self.kube.request("GET", path_of("Deployment", NAMESPACE), params=params)["items"]
        return {d["metadata"]["name"]: d for d in items}

    def grid_objects(self, names: Sequence[str]) -> dict[str, dict]:
        """The named grids: one read for one, else one list (a read per grid would slow every poll)."""
        if len(names) == 1:
            found = self.kube.get_or_none("DeploymentGrid", NAMESPACE, names[0])
            return {names[0]: found} if found else {}
        items = self.kube.request("GET", path_of("DeploymentGrid", NAMESPACE))["items"]
        return {g["metadata"]["name"]: g for g in items}

    def units(self) -> set[str]:
        return live_units(self.kube.request("GET", path_of("NodeUnit", None), params={"resourceVersion": "0"})["items"])

    def grid_ready(self, units: int, grids: Sequence[str] | None = None) -> bool:
        """Ours: the status of each of ``grids`` (default: every grid) says every unit is ready (the peer has no
        such summary: never asked)."""
        if self.impl != "ours":
            return False
        names = grids or self.grids
        found = self.grid_objects(names)
        return all(grid_ready(found.get(name), self.layout.units_of(name, units)) for name in names)

    def child_names(self, count: int, first: int = 0) -> set[str]:
        """The children of sites ``first`` to ``count - 1``: every grid's, or with regions their region grid's."""
        width = self.width
        return {f"{grid}-{site_name(i, width)}" for i in range(first, count) for grid in self.layout.grids_of(i)}

    # phases

    def setup(self) -> None:
        say(f"== {self.sites} sites x {self.settings.nodes_per_site} nodes, {self.impl}: {self.label()}")
        if self.impl == "ours":
            self.cluster.start()
        else:
            self.cluster.start_control_plane()
            peer.install_crds(self.cluster, peer_source())
        self.kube: Kube = self.cluster.kube()
        if self.impl == "ours" and not self.settings.keep_decorator:
            # Installed for the key `site`: it would write every Node once (N updates through the same client
            # limit) before the grid could be measured; its cost is per Node, not per grid.
            self.kube.kubectl("delete", "decoratorcontroller", DECORATOR)
        if self.summaries:  # not installed by default (metacontroller/nodesummary-decorator.yaml)
            for doc in node_summary_decorators(self.cluster.hook_url):
                self.kube.kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(doc))
        self.kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        # The nodes of the new sites join now, without the site key, so that phase times labelling, not kwok's
        # start. They carry another label: under the launcher's label selector, kwok v0.8.0 never made a node
        # without any label Ready (seen here).
        sites = self.sites + self.settings.new_sites
        for i, j in itertools.product(range(sites), range(self.settings.nodes_per_site)):
            labels = self.layout.node_labels(i, self.width) if i < self.sites else SPARE_LABEL
            metadata = {"name": node_name(i, j, self.width), "labels": labels}
            self.kube.create({"apiVersion": "v1", "kind": "Node", "metadata": metadata})
        total = sites * self.settings.nodes_per_site
        poll(f"{total} nodes Ready", lambda: self.ready_nodes() == total, 120 + total / 10, interval=1)
        nodes_ready = time.monotonic()
        if self.impl == "ours":
            self.cluster.start_metacontroller()
        else:
            peer.start(self.cluster, peer_binary(), self.limits.qps, self.limits.burst)
        if self.impl == "ours" and self.settings.keep_decorator:
            poll("the decorator's zone on every site node", self.zones_done, self.timeout, interval=1)
        if self.summaries:  # the grid reads summaries: they exist before it is applied
            poll(f"{total} NodeSummaries", lambda: self.summary_count() == total, self.timeout, interval=1)
        if self.node_units:  # the grid reads NodeUnits: they exist before it is applied
            self.kube.kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(node_group(KEY)))
            sites = {site_name(i, self.width) for i in range(self.sites)}
            poll(f"{self.sites} NodeUnits of {KEY}", lambda: self.units() == sites, self.timeout, interval=1)
        steady = nodes_ready
        if self.settings.heartbeat_spread:  # the first spread posts come half an interval after Ready
            steady += self.settings.heartbeat / 2
            say(f"waiting {steady - time.monotonic():.0f} s for the spread heartbeats to reach their steady rate")
        time.sleep(max(3.0, steady - time.monotonic()))

    def ready_nodes(self) -> int:
        nodes = self.kube.request("GET", "/api/v1/nodes", params={"resourceVersion": "0"})["items"]
        return sum(
            any(c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions") or [])
            for n in nodes
        )

    def summary_count(self) -> int:
        return len(self.kube.request("GET", path_of("NodeSummary", None), params={"resourceVersion": "0"})["items"])

    def zones_done(self) -> bool:
        nodes = self.kube.request("GET", "/api/v1/nodes", params={"labelSelector": KEY})["items"]
        return all("topology.kubernetes.io/zone" in n["metadata"]["labels"] for n in nodes)

    def wait(self, check: Callable[[], Mapping[str, bool]], start: float) -> dict[str, float | None]:
        return wait_milestones(check, self.milestones, self.timeout, start=start)

    def phase_apply(self) -> None:
        names = self.child_names(self.sites)

        def check() -> dict[str, bool]:
            deps = self.children()
            return {
                "written": names <= set(deps),
                "available": names <= set(deps) and all(deployment_available(deps[n]) for n in names),
                "status": self.grid_ready(self.sites),
            }

        start = self.marks()
        source = self.settings.site_source if self.impl == "ours" else "Nodes"
        items = [grid_object(source, name, self.layout.region(name)) for name in self.grids]
        grids = {"apiVersion": "v1", "kind": "List", "items": items}
        self.kube.kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(grids))
        self.record("apply", start, self.wait(check, start[3]))

    def phase_idle(self, seconds: float) -> None:
        start = self.marks()
        profile = self.start_profile("idle", min(seconds, self.settings.profile_seconds))
        time.sleep(seconds)
        self.record("idle", start, {})
        if profile:
            profile.join()

    def phase_template(self) -> None:
        names = self.child_names(self.sites)

        def check() -> dict[str, bool]:
            deps = self.children()
            written = names <= set(deps) and all(template_env(deps[n], "REV") == "2" for n in names)
            return {
                "written": written,
                "available": written and all(rolled_out(deps[n]) for n in names),
                "status": self.grid_ready(self.sites),
            }

        start = self.marks()
        profile = self.start_profile("template", self.settings.profile_seconds)
        for name in self.grids:
            patch = {"spec": {"template": deployment_template("2", name)}}
            self.kube.merge_patch("DeploymentGrid", NAMESPACE, name, patch)
        self.record("template", start, self.wait(check, start[3]))
        if profile:  # after the record: a profile longer than the phase does not stretch its window
            profile.join()

    def phase_new_sites(self) -> None:
        """The new sites one after another, ``NEW_SITE_GAP`` apart; one profile over them all (gaps included)."""
        count = self.settings.new_sites
        profile = self.start_profile("new-sites", min(count * (NEW_SITE_GAP + 1), self.settings.profile_seconds))
        for index in range(count):
            if index:  # what the last site set off (the grid's status, the peer's own writes) is over first
                time.sleep(NEW_SITE_GAP)
            self.phase_new_site(index)
        if profile:
            profile.join()

    def phase_new_site(self, index: int) -> None:
        """Site ``index`` (counted from 0 among the new ones) joins: the spare Nodes kept for it get its labels."""
        number = self.sites + index
        site = site_name(number, self.width)
        new = self.child_names(number + 1, first=number)

        def check() -> dict[str, bool]:
            # the new site's children alone, each read by name: a list of every child takes long enough at
            # 1,000 sites to make each poll, and so the times measured, coarser than the change itself
            deps = {n: d for n in new if (d := self.kube.get_or_none("Deployment", NAMESPACE, n))}
            # with NodeUnits the site's NodeUnit comes first (the NodeGroup), then the children (the grids)
            unit = {"unit": site in self.units()} if self.node_units else {}
            return unit | {
                "written": new <= set(deps),
                "available": new <= set(deps) and all(deployment_available(deps[n]) for n in new),
                # only the grids of the new site: reading every region's grid would make each poll, and so
                # every milestone's time, as slow as that many reads (the peer's polls read no grid)
                "status": self.grid_ready(number + 1, self.layout.grids_of(number)),
            }

        start = self.marks()
        label = {"metadata": {"labels": self.layout.node_labels(number, self.width)}}
        for j in range(self.settings.nodes_per_site):
            self.kube.merge_patch("Node", None, node_name(number, j, self.width), label)
        names = ("unit", *self.milestones) if self.node_units else self.milestones
        seconds = wait_milestones(check, names, self.timeout, interval=NEW_SITE_POLL, start=start[3])
        self.record("new site", start, seconds)

    # Metacontroller's CPU profile

    def start_profile(self, phase: str, seconds: float) -> threading.Thread | None:
        """Fetch a CPU profile of Metacontroller in the background (its pprof endpoint), if one was asked for."""
        if not self.pprof_port or not self.settings.profile_dir:
            return None
        url = f"http://{LOOPBACK}:{self.pprof_port}/debug/pprof/profile?seconds={seconds:g}"
        out = self.settings.profile_dir / f"metacontroller-{phase}-{self.sites}.pprof"

        def fetch() -> None:
            session = requests.Session()
            session.trust_env = False
            try:
                response = session.get(url, timeout=seconds + 60)
                response.raise_for_status()
                out.write_bytes(response.content)
                say(f"  profile: {out}")
            except requests.RequestException as error:
                say(f"  profile failed: {error}")

        thread = threading.Thread(target=fetch, daemon=True)
        thread.start()
        return thread


def peer_binary() -> Path:
    found = peer.find_binary()
    if not found:
        raise RuntimeError(f"no SuperEdge controller binary: set {peer.BINARY_VARIABLE} (see docs/performance.md)")
    return found


def peer_source() -> Path:
    found = peer.find_source()
    if not found:
        raise RuntimeError(f"no SuperEdge source with its CRDs: set {peer.SOURCE_VARIABLE} (see docs/performance.md)")
    return found


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_one(
    sites: int, limits: Limits, settings: Settings, impl: str, idle: float, keep_logs: bool
) -> list[PhaseResult]:
    """One fresh cluster through every phase; its logs are kept when a phase timed out (or when asked)."""
    run = Run(sites, limits, settings, impl)
    failed = True
    try:
        run.setup()
        run.phase_apply()
        if idle > 0:
            run.phase_idle(idle)
        run.phase_template()
        run.phase_new_sites()
        failed = any(v is None for r in run.results for v in r.seconds.values())
    finally:
        run.cluster.stop()
        run.cluster.cleanup(keep=failed or keep_logs)
    return run.results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m e2e.fleet_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", default="50,200", help="site counts, comma-separated")
    parser.add_argument("--nodes-per-site", type=int, default=1, help="kwok Nodes per site")
    parser.add_argument("--impl", default="ours", help="ours, peer or ours,peer (peer: SuperEdge's controller)")
    parser.add_argument("--qps", default="5,50", help="Metacontroller --client-go-qps values")
    parser.add_argument("--burst", default="", help="--client-go-burst per qps value (default: twice the qps)")
    parser.add_argument("--workers", default="5", help="Metacontroller --workers values (crossed with the limits)")
    parser.add_argument("--mc-arg", action="append", default=[], help="one more Metacontroller flag (repeatable)")
    parser.add_argument("--heartbeat", type=float, default=30.0, help="seconds between kwok node status posts")
    parser.add_argument(
        "--spread", action="store_true", help="each post after 0.5-1.5 heartbeats, drawn anew (a real fleet's spread)"
    )
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of the idle window (0: none)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds a phase may take")
    parser.add_argument("--site-source", default="Nodes", choices=SITE_SOURCES, help="ours: the grid's spec.siteSource")
    parser.add_argument("--grids", type=int, default=1, help="DeploymentGrids of the key, each over every site")
    parser.add_argument(
        "--regions", type=int, default=1, help="ours: split the sites over this many grids by a region label"
    )
    parser.add_argument(
        "--new-sites", type=int, default=1, help="sites added one after another in the last phase (table: mean)"
    )
    parser.add_argument("--keep-decorator", action="store_true", help="keep the node zone decorator installed")
    parser.add_argument("--keep-logs", action="store_true", help="keep every run's folder, not only failed ones")
    parser.add_argument("--profile-dir", type=Path, help="write Metacontroller CPU profiles: idle, template, new sites")
    parser.add_argument("--profile-seconds", type=float, default=45.0, help="their length (idle: at most --idle)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    args.impls = [i.strip() for i in args.impl.split(",") if i.strip()]
    if args.regions > 1 and (args.grids > 1 or args.site_source == "NodeUnits"):
        parser.error("--regions splits one grid's sites: it takes neither --grids nor --site-source NodeUnits")
    if args.new_sites < 1:
        parser.error("--new-sites takes 1 or more")
    if not args.impls or set(args.impls) - set(IMPLEMENTATIONS):
        parser.error(f"--impl takes {' or '.join(IMPLEMENTATIONS)}, comma-separated; got {args.impl!r}")
    if "ours" in args.impls and (not find_metacontroller() or not find_metacontroller_crds()):
        parser.error("no Metacontroller binary or CRDs (see e2e/README.md)")
    if "peer" in args.impls and (not peer.find_binary() or not peer.find_source()):
        parser.error(f"the peer needs {peer.BINARY_VARIABLE} and {peer.SOURCE_VARIABLE} (see docs/performance.md)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings(
        heartbeat=args.heartbeat,
        heartbeat_spread=args.spread,
        timeout=args.timeout,
        keep_decorator=args.keep_decorator,
        nodes_per_site=args.nodes_per_site,
        mc_args=tuple(args.mc_arg),
        profile_dir=args.profile_dir,
        profile_seconds=args.profile_seconds,
        site_source=args.site_source,
        grids=args.grids,
        regions=args.regions,
        new_sites=args.new_sites,
    )
    if settings.profile_dir:
        settings.profile_dir.mkdir(parents=True, exist_ok=True)
    limits = limit_sets(parse_numbers(args.qps, float), parse_numbers(args.burst) or None, parse_numbers(args.workers))
    runs = [(n, lim, "ours") for n, lim in itertools.product(parse_numbers(args.sites), limits) if "ours" in args.impls]
    if "peer" in args.impls:  # the peer's client limits are the first set's qps and burst
        runs += [(n, limits[0], "peer") for n in parse_numbers(args.sites)]
    runs.sort(key=lambda r: r[0])  # site count by site count: both implementations of one size together
    results: list[PhaseResult] = []
    with sigterm_as_interrupt():
        for n, lim, impl in runs:
            results.extend(run_one(n, lim, settings, impl, args.idle, args.keep_logs))
            if args.json:  # written after every run: a later failure keeps what was measured
                args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    print(markdown_table(results))
    print()
    print(cpu_table(results))
    print()
    print(hook_table(results))
    if len(args.impls) > 1:
        print()
        print(comparison_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
