"""The fleet benchmark's side-by-side tables: this project against its peer, and the hook calls per phase.

Pure functions over the benchmark's per-phase results (``e2e/fleet_bench.py``), so the tables are unit-tested
without a cluster. The peer is SuperEdge's application-grid-controller (``e2e/peer.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from statistics import fmean
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from e2e.fleet_bench import PhaseResult

# The processes that do the controller's work: Metacontroller and the hook server, or the peer alone.
CONTROLLER = {"ours": ("metacontroller", "hooks"), "peer": ("application-grid-controller",)}
CPU_PHASES = ("apply", "template", "new site")  # "create / update / new site" in the table


def ratio(ours: float | None, theirs: float | None) -> str:
    """``ours / theirs`` as ``2.3x``; a dash when either is missing or theirs is 0."""
    if ours is None or not theirs:
        return "-"
    return f"{ours / theirs:.1f}x"


def seconds(value: float | None, digits: int = 2) -> str:
    return "timeout" if value is None else f"{value:.{digits}f}"


def controller_cpu(result: PhaseResult) -> float:
    """CPU seconds of the controller's processes in one phase (ours: Metacontroller + hook server)."""
    return sum(result.cpu.get(name, 0.0) for name in CONTROLLER[result.impl])


def controller_rss(result: PhaseResult) -> list[float]:
    """Peak resident MB of each controller process tree, in ``CONTROLLER`` order."""
    return [result.rss_mb.get(name, 0.0) for name in CONTROLLER[result.impl]]


class Figures:
    """The headline figures of one run (one site count, one implementation, one set of limits).

    A phase run more than once (``--new-sites``: several sites one after another) counts with its mean.
    """

    def __init__(self, phases: Sequence[PhaseResult]) -> None:
        self.by_phase: dict[str, list[PhaseResult]] = {}
        for r in phases:
            self.by_phase.setdefault(r.phase, []).append(r)
        first = phases[0]
        self.sites, self.impl, self.limits = first.sites, first.impl, first.limits

    def mean(self, phase: str, figure: Callable[[PhaseResult], float | None]) -> float | None:
        """The mean of one figure over the phase's runs; None if the phase did not run or a run lacks it."""
        values = [figure(r) for r in self.by_phase.get(phase, [])]
        return fmean(values) if values and None not in values else None

    def repeats(self, phase: str) -> int:
        return len(self.by_phase.get(phase, []))

    def at(self, phase: str, milestone: str) -> float | None:
        return self.mean(phase, lambda r: r.seconds.get(milestone))

    def timings(self) -> list[float | None]:
        """all created, all Available, template specs, template rolled, new site Available."""
        return [
            self.at("apply", "written"),
            self.at("apply", "available"),
            self.at("template", "written"),
            self.at("template", "available"),
            self.at("new site", "available"),
        ]

    def cpu(self, component: str | None = None) -> list[float | None]:
        """Per CPU phase: the controller's CPU seconds (``component`` None) or one component's."""
        figure = controller_cpu if component is None else lambda r: r.cpu.get(component, 0.0)
        return [self.mean(phase, figure) for phase in CPU_PHASES]

    def rest_rate(self) -> float | None:
        """The controller's CPU seconds per second at rest (the idle phase), if one was measured."""
        return self.mean("idle", lambda r: controller_cpu(r) / r.cpu_window if r.cpu_window else None)

    def beyond_rest(self) -> list[float | None]:
        """Per CPU phase: the controller's CPU seconds less its at-rest rate over the phase's window.

        What the change cost apart from what the controller spends meanwhile on being on (ours: the node
        summary decorator's call for every Node status post), which weighs most in a short phase: a new site
        takes a second or two.
        """
        rate = self.rest_rate()
        if rate is None:
            return [None] * len(CPU_PHASES)

        def beyond(r: PhaseResult) -> float | None:
            return controller_cpu(r) - rate * r.cpu_window if r.cpu_window else None

        return [self.mean(phase, beyond) for phase in CPU_PHASES]

    def rss(self) -> list[float]:
        """Peak resident MB of each controller process tree over the run (the highest any phase saw)."""
        per_phase = [controller_rss(r) for results in self.by_phase.values() for r in results]
        return [max(values) for values in zip(*per_phase, strict=True)]


def _row(figures: Figures) -> list[str]:
    t = [seconds(v) for v in figures.timings()]
    name = "this project (Metacontroller + hook server)" if figures.impl == "ours" else "SuperEdge's controller"
    repeats = figures.repeats("new site")
    mean = f", new site: mean of {repeats}" if repeats > 1 else ""
    return [
        str(figures.sites),
        f"{name}, {figures.limits}{mean}",
        t[0],
        t[1],
        f"{t[2]} / {t[3]}",
        t[4],
        " / ".join(seconds(v) for v in figures.cpu()),
        " / ".join(seconds(v) for v in figures.cpu("kube-apiserver")),
        " + ".join(f"{v:.0f}" for v in figures.rss()),
        " / ".join("-" if v is None else seconds(v) for v in figures.beyond_rest()),
    ]


def _ratio_row(ours: Figures, theirs: Figures) -> list[str]:
    r = [ratio(a, b) for a, b in zip(ours.timings(), theirs.timings(), strict=True)]
    return [
        str(ours.sites),
        f"ratio ours / peer ({ours.limits})",
        r[0],
        r[1],
        f"{r[2]} / {r[3]}",
        r[4],
        " / ".join(ratio(a, b) for a, b in zip(ours.cpu(), theirs.cpu(), strict=True)),
        " / ".join(ratio(a, b) for a, b in zip(ours.cpu("kube-apiserver"), theirs.cpu("kube-apiserver"), strict=True)),
        ratio(sum(ours.rss()), sum(theirs.rss())),
        " / ".join(ratio(a, b) for a, b in zip(ours.beyond_rest(), theirs.beyond_rest(), strict=True)),
    ]


def runs(results: Sequence[PhaseResult]) -> list[Figures]:
    """The results grouped by run, in the order the runs came."""
    groups: dict[tuple[int, str, str], list[PhaseResult]] = {}
    for r in results:
        groups.setdefault((r.sites, r.impl, r.limits), []).append(r)
    return [Figures(phases) for phases in groups.values()]


def comparison_table(results: Sequence[PhaseResult]) -> str:
    """Both implementations per site count, each of our runs followed by its ratios to the peer's run."""
    head = (
        "| sites | implementation | all created (s) | all Available (s) | template change: specs / rolled (s) "
        "| new site Available (s) | controller CPU s: create / update / new site "
        "| API server CPU s: create / update / new site | peak RSS MB "
        "| controller CPU s beyond its at-rest rate: create / update / new site |"
    )
    rows = [head, "|" + "---|" * 10]
    figures = runs(results)
    peers = {f.sites: f for f in figures if f.impl == "peer"}
    for f in figures:
        rows.append("| " + " | ".join(_row(f)) + " |")
    for f in figures:
        if f.impl == "ours" and f.sites in peers:
            rows.append("| " + " | ".join(_ratio_row(f, peers[f.sites])) + " |")
    return "\n".join(rows)


def hook_table(results: Sequence[PhaseResult]) -> str:
    """Our sync-hook calls per phase: how many, the bytes Metacontroller sent, the time the hooks took.

    The grid's calls and, with ``siteSource: NodeUnits``, the NodeGroup's (it keeps the NodeUnits the grid
    reads, and is woken by what wakes it: Nodes, NodeUnits, and the grids' status) are counted apart, as are,
    with ``siteSource: NodeSummaries``, the node summary decorators': the summary's (one per label change or
    readiness transition) and the ready mark's (one per Node status post).
    """
    head = (
        "| sites | MC limits | phase | grid sync calls | request MB: total / per call | hook busy (s) "
        "| NodeGroup sync calls | NodeGroup request MB | NodeGroup hook busy (s) "
        "| summary calls | summary hook busy (s) | ready mark calls | ready mark hook busy (s) |"
    )
    rows = [head, "|" + "---|" * 13]
    for r in results:
        if r.impl != "ours":
            continue
        per_call = r.request_mb / r.sync_calls if r.sync_calls else 0.0
        rows.append(
            f"| {r.sites} | {r.limits} | {r.phase} | {r.sync_calls} | {r.request_mb:.1f} / {per_call:.2f} "
            f"| {r.hook_busy:.2f} | {r.nodegroup_calls} | {r.nodegroup_mb:.1f} | {r.nodegroup_busy:.2f} "
            f"| {r.summary_calls} | {r.summary_busy:.2f} | {r.mark_calls} | {r.mark_busy:.2f} |"
        )
    return "\n".join(rows)
