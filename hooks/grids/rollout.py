"""Progressive rollout, decided afresh on every sync from what Metacontroller sends (``spec.rollout``).

Nothing is remembered between syncs except what the children carry:

- *updated*: the observed child carries the revision stamp of what is rendered for its unit now
  (hooks.grids.revision). The stamp is per child, so a change that renders one unit differently (its
  override) moves only that unit, and a change that renders no unit differently moves none;
- *healthy*: updated and ready by the rule grid status uses (hooks.grids.workload.is_ready);
- when a unit started moving: ``superedge.io/revision-since`` on its child, set when the hook first sends
  the unit its new child and copied from the observed child while the stamps match, so the desired child
  does not change from one sync to the next.

Per sync: the current step is the first whose units are not all healthy; there, units on their way
(updated, not healthy; new sites) use up ``maxUpdating`` and the rest of the allowance goes to the first
units not yet updated, in sorted order. Every other unit not yet updated keeps its observed child. A unit
of the current step that has been on its way longer than ``progressDeadlineSeconds`` halts the rollout: no
unit moves, nothing is rolled back, and the halt lifts when the unit becomes healthy or the spec changes
(new stamps). ``paused`` stops every move. A unit without a child yet (a new site) always gets the current
render: holding it back would leave the site without the service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from hooks.grids.grid_status import named
from hooks.grids.grid_sync import UnitRender, UnitSet
from hooks.grids.revision import observed_revision
from hooks.grids.rollout_spec import RolloutSpec, Step
from hooks.kube.conditions import condition
from hooks.kube.objects import mapping, with_annotation
from hooks.kube.times import parse_time, seconds_to_earliest_deadline
from hooks.protocol.partial import TEXT
from hooks.protocol.request import objects_of
from hooks.sites.site_spec import NODEUNITS_SOURCE, SiteSpec
from hooks.sites.units import NODES, group_by_unit

SINCE_ANNOTATION = "superedge.io/revision-since"
SINCE_FIELDS = {"metadata": {"annotations": {SINCE_ANNOTATION: TEXT}}}
"""What :func:`unit_facts` reads of an observed child on top of the stamp (hooks.protocol.partial)."""
CONDITION = "Rollout"
LISTED = 10
"""At most this many units are named in a list or a message; counts are always exact."""

COMPLETE, PROGRESSING, PAUSED, HALTED = "Complete", "Progressing", "Paused", "Halted"


@dataclass(frozen=True)
class UnitFacts:
    """What the rollout knows of one unit this sync (all derived from the request)."""

    unit: str
    step: int
    has_child: bool
    updated: bool
    ready: bool
    since: str | None = None
    """When the unit started moving to its current child (only for an updated child that records it)."""
    failed: bool = False
    """The unit cannot be rendered (it keeps its child; Synced names it): it cannot move."""
    departing: bool = False
    """In its grace period (no nodes): in no step; it keeps its child unless that is already updated."""

    @property
    def healthy(self) -> bool:
        return self.updated and self.ready

    @property
    def on_its_way(self) -> bool:
        """Counts against maxUpdating: on the current render but not healthy, or getting its first child now."""
        return (self.updated and not self.ready) or (not self.has_child and not self.failed)


@dataclass(frozen=True)
class Decision:
    moving: tuple[str, ...]
    """Units sent their new child this sync although the observed one is older."""
    held: frozenset[str]
    """Units that keep their observed (older) child."""
    status: dict
    condition: dict
    resync_after: int | None = None
    halted: tuple[str, ...] = field(default=())
    updated: frozenset[str] = field(default=frozenset())
    """Units whose observed child is on what is rendered for them now (departing ones included)."""


def step_of(steps: tuple[Step, ...], unit: str, node_labels: list[Mapping]) -> int:
    """The index of the first step picking ``unit``; the implicit last step when none does."""
    for i, step in enumerate(steps[:-1]):
        if step.picks(unit, node_labels):
            return i
    return len(steps) - 1


def decide(spec: RolloutSpec, revision: str, facts: Iterable[UnitFacts], now: str) -> Decision:
    """Which units move, which are held back, and the rollout's status, condition and resync."""
    facts = list(facts)
    units = [f for f in facts if not f.departing]
    members: list[list[UnitFacts]] = [[] for _ in spec.steps]
    for f in units:
        members[f.step].append(f)
    current = next((i for i, m in enumerate(members) if not all(f.healthy for f in m)), None)
    halted: list[UnitFacts] = []
    moving: list[str] = []
    resync = None
    if current is not None:
        step, in_step = spec.steps[current], members[current]
        on_way = [f for f in in_step if f.on_its_way]
        halted = [f for f in on_way if f.updated and _overdue(f.since, spec.deadline_seconds, now)]
        allowance = step.max_updating.of(len(in_step)) - len(on_way)
        if not spec.paused and not halted and allowance > 0:
            waiting = sorted(f.unit for f in in_step if f.has_child and not f.updated and not f.failed)
            moving = waiting[:allowance]
        timed = [f.since for f in on_way if f.updated and f not in halted] + ([now] if moving else [])
        resync = seconds_to_earliest_deadline(timed, spec.deadline_seconds, now)
    chosen = set(moving)
    held = frozenset(f.unit for f in units if f.has_child and not f.updated and not f.failed and f.unit not in chosen)
    held |= {f.unit for f in facts if f.departing and f.has_child and not f.updated and not f.failed}
    state = _state(spec, current, halted)
    status = _status(spec, revision, members, current, state, moving, halted, held, now)
    blocked = sorted(f.unit for f in members[current] if f.failed) if current is not None else []
    return Decision(
        tuple(moving),
        held,
        status,
        _condition(spec, state, status, halted, blocked),
        resync,
        tuple(f.unit for f in halted),
        frozenset(f.unit for f in facts if f.updated),
    )


def _overdue(since: str | None, deadline: int, now: str) -> bool:
    start, current = parse_time(since), parse_time(now)
    return start is not None and current is not None and (current - start).total_seconds() >= deadline


def _state(spec: RolloutSpec, current: int | None, halted: list[UnitFacts]) -> str:
    if current is None:
        return COMPLETE
    if halted:
        return HALTED
    return PAUSED if spec.paused else PROGRESSING


def _status(
    spec: RolloutSpec,
    revision: str,
    members: list[list[UnitFacts]],
    current: int | None,
    state: str,
    moving: list[str],
    halted: list[UnitFacts],
    held: frozenset[str],
    now: str,
) -> dict:
    """``status.rollout``: small at any fleet size (per-step counts, at most LISTED units named)."""
    everyone = [f for m in members for f in m]
    out: dict = {
        "revision": revision,
        "state": state,
        "units": len(everyone),
        "updatedUnits": sum(f.updated for f in everyone),
        "healthyUnits": sum(f.healthy for f in everyone),
        "heldUnits": len(held),
        "steps": [
            {
                "name": step.name,
                "units": len(m),
                "updated": sum(f.updated for f in m),
                "healthy": sum(f.healthy for f in m),
                "maxUpdating": step.max_updating.of(len(m)),
            }
            for step, m in zip(spec.steps, members, strict=True)
        ],
    }
    if current is not None:
        on_way = sorted({*moving, *(f.unit for f in members[current] if f.on_its_way)})
        out["step"] = spec.steps[current].name
        out["stepIndex"] = current
        out["updating"] = on_way[:LISTED]
        out["updatingUnits"] = len(on_way)
    if halted:
        out["haltedUnits"] = len(halted)
        out["halted"] = [
            {"unit": f.unit, "since": f.since, "reason": f"not healthy {spec.deadline_seconds}s after it was updated"}
            for f in sorted(halted, key=lambda f: f.unit)[:LISTED]
        ]
    return out


def _condition(spec: RolloutSpec, state: str, status: Mapping, halted: list[UnitFacts], blocked: list[str]) -> dict:
    """The ``Rollout`` condition; a step held up by units that cannot be rendered says so (Synced says why)."""
    revision = status["revision"]
    if state == COMPLETE:
        return condition(CONDITION, True, COMPLETE, f"all {status['units']} units are healthy on revision {revision}")
    step = status["step"]
    figures = next(s for s in status["steps"] if s["name"] == step)
    where = (
        f"step {step} ({status['stepIndex'] + 1} of {len(spec.steps)}): {figures['updated']} of {figures['units']} "
        f"units updated, {figures['healthy']} healthy; {status['heldUnits']} unit(s) keep an older child"
    )
    if blocked:
        where += f"; the step waits for {named(blocked)}, which cannot be rendered (see the Synced condition)"
    if state == HALTED:
        names = named(sorted(f.unit for f in halted))
        return condition(
            CONDITION,
            False,
            HALTED,
            f"{names} not healthy within {spec.deadline_seconds}s of being updated: no further unit moves and "
            f"nothing is rolled back; {where}. It resumes when they are healthy; a spec change (e.g. the template "
            "edited back) is a new revision",
        )
    if state == PAUSED:
        return condition(CONDITION, False, PAUSED, f"spec.rollout.paused: no unit moves; {where}")
    return condition(CONDITION, False, PROGRESSING, where)


# -- from the engine's per-unit renders to facts, and back ------------------------------------------------


def unit_facts(
    r: UnitRender,
    step: int,
    ready: Callable[[Mapping | None], bool],
    departing: bool,
) -> UnitFacts:
    """The facts of one rendered unit (its fresh child, if any, against the observed one)."""
    if r.error is not None or r.child is None:
        return UnitFacts(r.unit, step, r.seen is not None, False, False, failed=True, departing=departing)
    seen = r.seen
    fresh = r.child["metadata"]["annotations"]["superedge.io/revision"]
    updated = seen is not None and observed_revision(seen) == fresh
    since = observed_since(seen) if updated else None
    return UnitFacts(r.unit, step, seen is not None, updated, updated and ready(seen), since, departing=departing)


def observed_since(seen: Mapping | None) -> str | None:
    """The recorded start of the observed child's move, when it is a readable time (else None: untimed)."""
    if seen is None:
        return None
    value = mapping(mapping(seen, "metadata"), "annotations").get(SINCE_ANNOTATION)
    return value if parse_time(value) is not None else None


def apply(renders: list[UnitRender], facts: Mapping[str, UnitFacts], decision: Decision, now: str) -> list[UnitRender]:
    """The renders with held units marked and every fresh child carrying when its unit started moving.

    A unit that moves now (or gets its first child) records ``now``; an updated unit keeps the time its
    child records (or none: a child updated before the rollout was configured is not timed).
    """
    out = []
    for r in renders:
        f = facts[r.unit]
        if r.unit in decision.held:
            out.append(replace(r, held=True))
        elif r.child is None or f.failed:
            out.append(r)
        else:
            since = f.since if f.updated else now
            out.append(replace(r, child=with_since(r.child, since)) if since else r)
    return out


def with_since(child: dict, since: str) -> dict:
    """``child`` with the move's start recorded (path copy; the stamp is unchanged, it leaves this out)."""
    return with_annotation(child, SINCE_ANNOTATION, since)


def roll(
    renders: list[UnitRender],
    spec: RolloutSpec,
    revision: str,
    sites: SiteSpec,
    units: UnitSet,
    ready: Callable[[Mapping | None], bool],
    now: str,
) -> tuple[list[UnitRender], Decision]:
    """Decide this sync's moves for a grid's per-unit renders (units that are not live are departing)."""
    labels = unit_node_labels(sites, units.live, units.related, spec.uses_node_labels)
    facts = {
        r.unit: unit_facts(r, step_of(spec.steps, r.unit, labels.get(r.unit, [])), ready, r.unit not in labels)
        for r in renders
    }
    decision = decide(spec, revision, facts.values(), now)
    return apply(renders, facts, decision, now), decision


def unit_node_labels(
    sites: SiteSpec, live: Iterable[str], related: Mapping, with_labels: bool
) -> dict[str, list[Mapping]]:
    """Live unit -> the label sets its nodes show to a step's ``nodeSelector``.

    With ``siteSource: NodeUnits`` a unit shows only ``{gridUniqKey: unit}`` (a NodeUnit carries no node
    labels; the spec parser allows only such terms). Without node-label steps the labels are not needed,
    and the Nodes are not read again.
    """
    if sites.source == NODEUNITS_SOURCE:
        return {unit: [{sites.key: unit}] for unit in live}
    if not with_labels:
        return {unit: [] for unit in live}
    grouped = group_by_unit(objects_of(related, NODES), sites.key, sites.node_selector)
    return {unit: [mapping(mapping(n, "metadata"), "labels") for n in grouped.get(unit, [])] for unit in live}


def with_rollout(response: dict, decision: Decision) -> dict:
    """The grid's answer with the rollout's status, each unit's ``updated`` and the deadline resync."""
    for unit, state in response["status"]["states"].items():
        state["updated"] = unit in decision.updated
    response["status"]["rollout"] = decision.status
    if decision.resync_after is not None:
        response["resyncAfterSeconds"] = decision.resync_after
    return response
