"""Fleet benchmark on a real control plane: one DeploymentGrid over N sites, through Metacontroller.

Not a test (pytest collects only ``e2e/test_*.py``). For each number of sites and each set of Metacontroller
client limits it starts a fresh cluster with the launcher (``e2e/cluster.py``), makes one kwok Node per site
(label ``site=site-NNN``), and times three phases of one DeploymentGrid (1 replica per site, image
``registry.k8s.io/pause:3.10``; kwok runs no containers):

- ``apply``: the grid applied -> every child Deployment Available;
- ``template``: an env value of the template changed -> every child carries it and has rolled out;
- ``new site``: an existing Ready Node labelled with a new site -> that site's Deployment Available.

Each phase records three moments: every child *written* by Metacontroller (its part), every child
*Available* (read from the Deployments themselves: the ground truth, which the controller manager, the
scheduler and kwok produce), and the grid's *status* reporting ``readyUnits == units == N`` for its
current generation (what ``kubectl wait`` on the grid sees: one more sync after the last child changed).
Between ``apply`` and ``template`` an ``idle`` window measures what node heartbeats cost at rest.

Per phase it also records the CPU seconds of every component's process tree (``/proc/<pid>/stat`` utime,
stime and reaped children: the hook server is gunicorn's master and workers), the hook calls (the hook
server's JSON log) and Metacontroller's write requests (the API server's audit log).

    python -m e2e.fleet_bench --sites 50,200 --qps 5,50 --burst 10,100 --workers 5

See docs/performance.md ("Real cluster") for figures and how to read them.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from e2e.cluster import Cluster, Options, find_metacontroller, find_metacontroller_crds, sigterm_as_interrupt
from e2e.kube import Kube, path_of
from e2e.observe import Mark, hook_calls, json_lines_since, mark
from e2e.procs import poll

KEY = "site"
GRID = "fleet"
NAMESPACE = "fleet"
IMAGE = "registry.k8s.io/pause:3.10"
GRID_SELECTOR = "superedge.io/grid-selector"
SYNC_HOOK = "deploymentgrid/sync"
DECORATOR = "servicegroup-nodezone"
MILESTONES = ("written", "available", "status")
# Components whose CPU is recorded; "hooks" is gunicorn (master and workers), "bench" this process.
COMPONENTS = ("hooks", "metacontroller", "kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kwok")
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


def tree_cpu(stats: Iterable[tuple[int, int, float]], root: int) -> float:
    """CPU seconds of ``root`` and all its live descendants, from parsed stat lines."""
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for pid, ppid, seconds in stats:
        children.setdefault(ppid, []).append(pid)
        cpu[pid] = seconds
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo.extend(children.get(pid, []))
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
    mc_writes: dict[str, int]  # "verb resource[/subresource]" -> count
    cpu: dict[str, float] = field(default_factory=dict)  # component -> CPU seconds in the window


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
    """The headline table: one row per run and phase."""
    head = (
        "| sites | MC qps/burst/workers | phase | children written (s) | all Available (s) | grid readyUnits (s) "
        "| sync calls | hook CPU (s) | MC CPU (s) | MC writes |"
    )
    rows = [head, "|" + "---|" * 10]
    for r in results:
        times = ["", "", ""] if r.phase == "idle" else [_fmt(r.seconds.get(m)) for m in MILESTONES]
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


def deployment_template(env_value: str) -> dict:
    return {
        "replicas": 1,
        "selector": {"matchLabels": {"app": GRID}},
        "template": {
            "metadata": {"labels": {"app": GRID}},
            "spec": {"containers": [{"name": GRID, "image": IMAGE, "env": [{"name": "REV", "value": env_value}]}]},
        },
    }


def grid_object() -> dict:
    return {
        "apiVersion": "superedge.io/v1",
        "kind": "DeploymentGrid",
        "metadata": {"name": GRID, "namespace": NAMESPACE},
        "spec": {"gridUniqKey": KEY, "template": deployment_template("1")},
    }


class Run:
    """One cluster, one site count, one set of Metacontroller limits: the phases in order."""

    def __init__(self, sites: int, limits: Limits, heartbeat: float, timeout: float, keep_decorator: bool) -> None:
        self.sites, self.limits, self.timeout, self.keep_decorator = sites, limits, timeout, keep_decorator
        self.width = max(3, len(str(sites)))
        options = Options(heartbeat, mc_qps=limits.qps, mc_burst=limits.burst, mc_workers=limits.workers)
        self.cluster = Cluster(options)
        self.results: list[PhaseResult] = []

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

    def marks(self) -> tuple[Mark, Mark, dict[str, float], float]:
        return mark(self.cluster.hook_log), mark(self.cluster.audit_log), self.cpu(), time.monotonic()

    def record(self, phase: str, start: tuple[Mark, Mark, dict[str, float], float], seconds: dict) -> PhaseResult:
        hooks_at, audit_at, cpu_at, t0 = start
        wall = time.monotonic() - t0
        time.sleep(0.5)  # the hook server logs a call after answering it; the audit log is written in blocking mode
        cpu_now = self.cpu()
        calls = hook_calls(hooks_at, SYNC_HOOK)
        writes: dict[str, int] = {}
        for event in json_lines_since(audit_at):
            ref = event.get("objectRef") or {}
            sub = f"/{ref['subresource']}" if ref.get("subresource") else ""
            key = f"{event.get('verb')} {ref.get('resource')}{sub}"
            writes[key] = writes.get(key, 0) + 1
        result = PhaseResult(
            sites=self.sites,
            limits=self.limits.label(),
            phase=phase,
            seconds=seconds,
            wall=wall,
            sync_calls=len(calls),
            hook_busy=sum(c.get("duration_ms") or 0 for c in calls) / 1000,
            request_mb=sum(c.get("request_bytes") or 0 for c in calls) / 1e6,
            mc_writes=writes,
            cpu={k: cpu_now[k] - cpu_at.get(k, 0.0) for k in cpu_now},
        )
        self.results.append(result)
        say(f"  {phase}: {json.dumps(seconds)} wall {wall:.1f} s, {len(calls)} sync calls, {writes}")
        return result

    # reading the cluster

    def children(self) -> dict[str, dict]:
        params = {"labelSelector": f"{GRID_SELECTOR}={GRID}", "resourceVersion": "0"}
        items = self.kube.request("GET", path_of("Deployment", NAMESPACE), params=params)["items"]
        return {d["metadata"]["name"]: d for d in items}

    def grid(self) -> dict | None:
        return self.kube.get_or_none("DeploymentGrid", NAMESPACE, GRID)

    def child_names(self, count: int) -> set[str]:
        return {f"{GRID}-{site_name(i, self.width)}" for i in range(count)}

    # phases

    def setup(self) -> None:
        say(f"== {self.sites} sites, Metacontroller qps/burst/workers {self.limits.label()}")
        self.cluster.start()
        self.kube: Kube = self.cluster.kube()
        if not self.keep_decorator:
            # Installed for the key `site`: it would write every Node once (N updates through the same client
            # limit) before the grid could be measured; its cost is per Node, not per grid.
            self.kube.kubectl("delete", "decoratorcontroller", DECORATOR)
        self.kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        for i in range(self.sites):
            node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"node-{i:0{self.width}d}"}}
            node["metadata"]["labels"] = {KEY: site_name(i, self.width)}
            self.kube.create(node)
        # the node of the new site joins now, unlabelled, so that phase times labelling, not kwok's start
        spare = f"node-{self.sites:0{self.width}d}"
        self.kube.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": spare}})
        poll(f"{self.sites + 1} nodes Ready", lambda: self.ready_nodes() == self.sites + 1, 120, interval=1)
        self.cluster.start_metacontroller()
        if self.keep_decorator:
            poll("the decorator's zone on every site node", self.zones_done, self.timeout, interval=1)
        time.sleep(3)

    def ready_nodes(self) -> int:
        nodes = self.kube.request("GET", "/api/v1/nodes", params={"resourceVersion": "0"})["items"]
        return sum(
            any(c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions") or [])
            for n in nodes
        )

    def zones_done(self) -> bool:
        nodes = self.kube.request("GET", "/api/v1/nodes", params={"labelSelector": KEY})["items"]
        return all("topology.kubernetes.io/zone" in n["metadata"]["labels"] for n in nodes)

    def phase_apply(self) -> None:
        names = self.child_names(self.sites)

        def check() -> dict[str, bool]:
            deps = self.children()
            return {
                "written": names <= set(deps),
                "available": names <= set(deps) and all(deployment_available(deps[n]) for n in names),
                "status": grid_ready(self.grid(), self.sites),
            }

        start = self.marks()
        self.kube.kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(grid_object()))
        self.record("apply", start, wait_milestones(check, MILESTONES, self.timeout, start=start[3]))

    def phase_idle(self, seconds: float) -> None:
        start = self.marks()
        time.sleep(seconds)
        self.record("idle", start, {})

    def phase_template(self) -> None:
        names = self.child_names(self.sites)

        def check() -> dict[str, bool]:
            deps = self.children()
            written = names <= set(deps) and all(template_env(deps[n], "REV") == "2" for n in names)
            return {
                "written": written,
                "available": written and all(rolled_out(deps[n]) for n in names),
                "status": grid_ready(self.grid(), self.sites),
            }

        start = self.marks()
        patch = {"spec": {"template": deployment_template("2")}}
        self.kube.merge_patch("DeploymentGrid", NAMESPACE, GRID, patch)
        self.record("template", start, wait_milestones(check, MILESTONES, self.timeout, start=start[3]))

    def phase_new_site(self) -> None:
        new = f"{GRID}-{site_name(self.sites, self.width)}"

        def check() -> dict[str, bool]:
            dep = self.children().get(new)
            return {
                "written": dep is not None,
                "available": dep is not None and deployment_available(dep),
                "status": grid_ready(self.grid(), self.sites + 1),
            }

        start = self.marks()
        spare = f"node-{self.sites:0{self.width}d}"
        self.kube.merge_patch("Node", None, spare, {"metadata": {"labels": {KEY: site_name(self.sites, self.width)}}})
        self.record("new site", start, wait_milestones(check, MILESTONES, self.timeout, start=start[3]))


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.fleet_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", default="50,200", help="site counts, comma-separated (one Node per site)")
    parser.add_argument("--qps", default="5,50", help="Metacontroller --client-go-qps values")
    parser.add_argument("--burst", default="", help="--client-go-burst per qps value (default: twice the qps)")
    parser.add_argument("--workers", default="5", help="Metacontroller --workers values (crossed with the limits)")
    parser.add_argument("--heartbeat", type=float, default=30.0, help="seconds between kwok node status posts")
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of the idle window (0: none)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds a phase may take")
    parser.add_argument("--keep-decorator", action="store_true", help="keep the node zone decorator installed")
    parser.add_argument("--keep-logs", action="store_true", help="keep every run's folder, not only failed ones")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if not find_metacontroller() or not find_metacontroller_crds():
        parser.error("no Metacontroller binary or CRDs (see e2e/README.md)")
    sites = parse_numbers(args.sites)
    limits = limit_sets(parse_numbers(args.qps, float), parse_numbers(args.burst) or None, parse_numbers(args.workers))
    results: list[PhaseResult] = []
    with sigterm_as_interrupt():
        for n, lim in itertools.product(sites, limits):
            run = Run(n, lim, args.heartbeat, args.timeout, args.keep_decorator)
            failed = True
            try:
                run.setup()
                run.phase_apply()
                if args.idle > 0:
                    run.phase_idle(args.idle)
                run.phase_template()
                run.phase_new_site()
                failed = any(v is None for r in run.results for v in r.seconds.values())
            finally:
                run.cluster.stop()
                run.cluster.cleanup(keep=failed or args.keep_logs)
                results.extend(run.results)
    print(markdown_table(results))
    print()
    print(cpu_table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
