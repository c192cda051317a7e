"""Progressive rollout, decided afresh on every sync from what Metacontroller sends (``spec.rollout``).

Nothing is remembered between syncs except what the children carry:

- *updated*: the observed child carries the revision stamp of what is rendered for its unit now
  (hooks.grids.revision). The stamp is per child, so a change that renders one unit differently (its
  override) moves only that unit, and a change that renders no unit differently moves none;
- *healthy*: updated and ready by the rule grid status uses (hooks.grids.workload.is_ready);
- when a unit started moving: ``superedge.io/revision-since`` on its child, set when the hook first sends
  the unit its new child and copied from the observed child while the stamps match, so the desired child
  does not change from one sync to the next;
- whether a unit is online: from its Nodes' or NodeUnit's readiness (hooks.sites.readiness). A unit without
  a Ready node for ``offlineAfterSeconds`` is *offline*: it never holds its step, never counts against
  ``maxUpdating``, never fails, and keeps its child until it is back (then it moves like any unit of its
  step). A unit without a Ready node for less than that is *dark*: it is not moved (it could not start
  anything) but still holds its step, until it is back or offline.

Per sync, walking the steps in order: a unit updated, online, not healthy and past its deadline
(``progressDeadlineSeconds`` from when it started moving or, if later, came back online) has *failed*; a
step is done when each of its units is healthy, failed or offline. The current step is the first not done,
or the first whose failures (counted with the earlier steps') exceed ``maxFailedUnits``: then the rollout
*halts* (no unit moves, nothing is rolled back by this module; hooks.grids.rollback does with
``onFailure: Rollback``). In the current step, units on their way (updated, not healthy, not failed; new
sites) use up ``maxUpdating`` and the rest of the allowance goes to the first units not yet updated, in
sorted order. Every other unit not yet updated keeps its observed child. ``paused`` stops every move. A unit
without a child yet (a new site) always gets the current render: holding it back would leave the site
without the service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from hooks.grids.grid_status import named
from hooks.grids.grid_sync import UnitRender, UnitSet
from hooks.grids.revision import REVISION_ANNOTATION, observed_revision
from hooks.grids.rollback import Rollback, roll_back, rolled_back_from, rolled_back_standing
from hooks.grids.rollout_facts import (
    COMPLETE,
    DEGRADED,
    HALTED,
    PAUSED,
    PROGRESSING,
    STUCK,
    WAITING_FOR_OFFLINE,
    Standing,
    UnitFacts,
)
from hooks.grids.rollout_spec import ROLLBACK, RolloutSpec, Step
from hooks.grids.rollout_status import rollout_condition, rollout_status
from hooks.kube.objects import mapping, with_annotation
from hooks.kube.times import parse_time, seconds_to_earliest_deadline
from hooks.protocol.partial import TEXT
from hooks.sites.discovery import Sites
from hooks.sites.readiness import UNKNOWN, Readiness
from hooks.sites.site_spec import NODEUNITS_SOURCE, SiteSpec

SINCE_ANNOTATION = "superedge.io/revision-since"
SINCE_FIELDS = {"metadata": {"annotations": {SINCE_ANNOTATION: TEXT}}}
"""What :func:`unit_facts` reads of an observed child on top of the stamp (hooks.protocol.partial)."""


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
    standing: Standing | None = None
    offline: frozenset[str] = field(default_factory=frozenset)
    failed: frozenset[str] = field(default_factory=frozenset)
    rolled_back: frozenset[str] = field(default_factory=frozenset)
    rollback_due: str | None = None
    """Halted with onFailure Rollback and something to go back to: the reason to record on the current
    revision's ControllerRevision (hooks.grids.rollback, first sync)."""

    @property
    def completed(self) -> bool:
        """Every online unit is healthy on the current revision (its ControllerRevision says Completed)."""
        s = self.standing
        return s is not None and s.state in (COMPLETE, WAITING_FOR_OFFLINE) and any(f.healthy for f in s.everyone)


def step_of(steps: tuple[Step, ...], unit: str, node_labels: list[Mapping]) -> int:
    """The index of the first step picking ``unit``; the implicit last step when none does."""
    for i, step in enumerate(steps[:-1]):
        if step.picks(unit, node_labels):
            return i
    return len(steps) - 1


def decide(
    spec: RolloutSpec, revision: str, facts: Iterable[UnitFacts], now: str, rollback: Rollback | None = None
) -> Decision:
    """Which units move, which are held back, and the rollout's status, condition and resync.

    ``rollback`` is what the grid's history offers (hooks.grids.rollback); None: no history at all.
    """
    facts = list(facts)
    due = None
    if rollback is not None and rollback.ready:
        standing = rolled_back_standing(spec, revision, facts, rollback)
    else:
        standing = stand(spec, revision, facts, now)
        if standing.state == HALTED and spec.on_failure == ROLLBACK:
            offered = rollback or Rollback(None)
            standing = replace(standing, note=offered.plan())
            due = _failure(standing) if offered.target is not None else None
    return Decision(
        tuple(standing.moving),
        standing.held,
        rollout_status(standing),
        rollout_condition(standing),
        _resync(standing, now),
        tuple(f.unit for f in standing.failed) if standing.state == HALTED else (),
        frozenset(f.unit for f in facts if f.updated),
        standing,
        frozenset(f.unit for f in facts if f.offline),
        frozenset(f.unit for f in standing.failed),
        frozenset(standing.rolled_back),
        due,
    )


def _failure(s: Standing) -> str:
    """Why a revision is rolled back, in a few words (recorded on its ControllerRevision)."""
    names = named(sorted(f.unit for f in s.failed), 3)
    return f"{len(s.failed)} unit(s) failed ({names}), more than maxFailedUnits {s.budget}"


def stand(spec: RolloutSpec, revision: str, facts: Iterable[UnitFacts], now: str) -> Standing:
    """Where the rollout stands and what moves this sync (the decision without its wording)."""
    facts = list(facts)
    units = [f for f in facts if not f.departing]
    members: list[list[UnitFacts]] = [[] for _ in spec.steps]
    for f in units:
        members[f.step].append(f)
    overdue = {f.unit for f in units if _overdue(f, spec.deadline_seconds, now)}
    budget = spec.max_failed.of(len(units))
    current, failed = _position(members, overdue, budget)
    halted = len(failed) > budget
    moving: list[str] = []
    on_way: list[UnitFacts] = []
    blocked: list[str] = []
    if current is not None:
        in_step = members[current]
        on_way = [f for f in in_step if _on_its_way(f, overdue)]
        allowance = spec.steps[current].max_updating.of(len(in_step)) - len(on_way)
        if not spec.paused and not halted and allowance > 0:
            moving = sorted(f.unit for f in in_step if _movable(f))[:allowance]
        blocked = sorted(f.unit for f in in_step if f.broken and not f.offline)
    reached = range(len(spec.steps) if current is None else current + 1)
    deferred = sorted(f.unit for i in reached for f in members[i] if f.offline and _behind(f))
    chosen = set(moving)
    held = frozenset(f.unit for f in units if _behind(f) and f.unit not in chosen)
    held |= {f.unit for f in facts if f.departing and _behind(f)}
    state = _state(spec, current, halted, failed, deferred, bool(blocked and not moving and not on_way))
    return Standing(
        spec=spec,
        revision=revision,
        members=members,
        current=current,
        state=state,
        moving=moving,
        on_way=on_way,
        failed=failed,
        budget=budget,
        deferred=deferred,
        held=held,
        blocked=blocked,
    )


def _position(members: list[list[UnitFacts]], overdue: set[str], budget: int) -> tuple[int | None, list[UnitFacts]]:
    """The current step and the failed units up to it: the first step not done, or whose failures (with the
    earlier steps') exceed the budget."""
    failed: list[UnitFacts] = []
    for i, in_step in enumerate(members):
        failed += [f for f in in_step if f.unit in overdue]
        if len(failed) > budget or not all(f.offline or f.healthy or f.unit in overdue for f in in_step):
            return i, failed
    return None, failed


def _overdue(f: UnitFacts, deadline: int, now: str) -> bool:
    """Failed: online, updated, not healthy, and its deadline has passed."""
    if f.offline or not f.updated or f.ready:
        return False
    start, current = parse_time(f.started), parse_time(now)
    return start is not None and current is not None and (current - start).total_seconds() >= deadline


def _on_its_way(f: UnitFacts, overdue: set[str]) -> bool:
    """Counts against maxUpdating: on the current render but not healthy (nor failed), or getting its first
    child now; never while offline."""
    if f.offline or f.unit in overdue:
        return False
    return (f.updated and not f.ready) or (not f.has_child and not f.broken)


def _movable(f: UnitFacts) -> bool:
    """Can be sent its new child: it has an older one, can be rendered and has a Ready node."""
    return _behind(f) and not f.offline and not f.dark


def _behind(f: UnitFacts) -> bool:
    """Keeps an older child unless moved: it has one, not on the current render, and the render exists."""
    return f.has_child and not f.updated and not f.broken


def _state(spec: RolloutSpec, current: int | None, halted: bool, failed: list, deferred: list, stuck: bool) -> str:
    if halted:
        return HALTED
    if current is None:
        return DEGRADED if failed else (WAITING_FOR_OFFLINE if deferred else COMPLETE)
    if spec.paused:
        return PAUSED
    return STUCK if stuck else PROGRESSING


def _resync(s: Standing, now: str) -> int | None:
    """Seconds to the earliest moment the decision can change without an event: a deadline of a unit on its
    way (or moving now), or a dark unit becoming offline (a grid reading NodeUnits hears of nothing else)."""
    starts = [f.started for f in s.on_way if f.updated] + ([now] if s.moving else [])
    dark = [f.offline_at for f in s.everyone if f.dark]
    found = [
        t
        for t in (
            seconds_to_earliest_deadline(starts, s.spec.deadline_seconds, now),
            seconds_to_earliest_deadline(dark, 0, now),
        )
        if t is not None
    ]
    return min(found) if found else None


# -- from the engine's per-unit renders to facts, and back ------------------------------------------------


def unit_facts(
    r: UnitRender,
    step: int,
    ready: Callable[[Mapping | None], bool],
    departing: bool,
    online: Callable[[str, bool], Readiness] = lambda unit, earliest: UNKNOWN,
    spec: RolloutSpec | None = None,
    now: str = "",
) -> UnitFacts:
    """The facts of one rendered unit (its fresh child, if any, against the observed one); ``online`` tells
    what its nodes say (hooks.sites.discovery.Sites.readiness), judged against ``spec.offlineAfterSeconds`` at
    ``now``. Since when an online unit has been online is read only for a unit on its way (updated, not
    ready): only its progress deadline starts then (``UnitFacts.started``)."""
    seen = r.seen
    broken = r.error is not None or r.child is None
    fresh = None if broken else r.child["metadata"]["annotations"][REVISION_ANNOTATION]
    updated = seen is not None and fresh is not None and observed_revision(seen) == fresh
    since = observed_since(seen) if updated else None
    healthy = updated and ready(seen)
    common = (r.unit, step, seen is not None, updated, healthy, since, broken, departing)
    readiness = online(r.unit, updated and not healthy)
    if not readiness.dark:  # the common case, kept cheap: this runs for every unit of every sync
        return UnitFacts(*common, online_since=readiness.ready_since)
    after = spec.offline_after if spec is not None else 0
    offline = readiness.offline(after, now)
    return UnitFacts(*common, offline=offline, dark=not offline, offline_at=readiness.offline_at(after))


def observed_since(seen: Mapping | None) -> str | None:
    """The recorded start of the observed child's move, when it is a readable time (else None: untimed)."""
    if seen is None:
        return None
    value = mapping(mapping(seen, "metadata"), "annotations").get(SINCE_ANNOTATION)
    return value if parse_time(value) is not None else None


def apply(renders: list[UnitRender], facts: Mapping[str, UnitFacts], decision: Decision, now: str) -> list[UnitRender]:
    """The renders with held units marked and every fresh child carrying when its unit started moving.

    A unit that moves now (or gets its first child) records ``now``; an updated unit keeps the time its
    child records (or none: a child updated before the rollout was configured is not timed). A held unit's
    fresh child is let go (as an unlisted unit has none): it is not sent, and most units of a large rollout
    are held, so their renders would otherwise stay in memory until the answer is written.
    """
    out = []
    for r in renders:
        f = facts[r.unit]
        if r.unit in decision.held:
            out.append(replace(r, held=True, child=None))
        elif r.child is None or f.broken:
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
    rollback: Rollback | None = None,
) -> tuple[list[UnitRender], Decision]:
    """Decide this sync's moves for a grid's per-unit renders (units that are not live are departing); once
    a rollback is recorded, the moved units get the last completed revision instead (hooks.grids.rollback)."""
    labels = unit_node_labels(sites, units.found, spec.uses_node_labels)
    facts = {
        r.unit: unit_facts(
            r,
            step_of(spec.steps, r.unit, labels.get(r.unit, [])),
            ready,
            r.unit not in labels,
            units.found.readiness,
            spec,
            now,
        )
        for r in renders
    }
    if rollback is not None and rollback.ready:
        back = {r.unit for r in renders if rolled_back_from(r.seen) == revision}
        facts = {u: replace(f, rolled_back=True) if u in back else f for u, f in facts.items()}
    decision = decide(spec, revision, facts.values(), now, rollback)
    if rollback is not None and rollback.ready:
        return roll_back(renders, facts, rollback, revision), decision
    return apply(renders, facts, decision, now), decision


def unit_node_labels(sites: SiteSpec, found: Sites, with_labels: bool) -> dict[str, list[Mapping]]:
    """Live unit -> the label sets its nodes show to a step's ``nodeSelector``.

    With ``siteSource: NodeUnits`` a unit shows only ``{gridUniqKey: unit}`` (a NodeUnit carries no node
    labels; the spec parser allows only such terms). Without node-label steps the labels are not needed.
    """
    if sites.source == NODEUNITS_SOURCE:
        return {unit: [{sites.key: unit}] for unit in found.units}
    if not with_labels:
        return {unit: [] for unit in found.units}
    # Discovery put a Node in a unit only if its metadata and labels are objects (hooks.sites.units.unit_of).
    return {unit: [n["metadata"]["labels"] for n in found.members.get(unit, [])] for unit in found.units}


def with_rollout(response: dict, decision: Decision) -> dict:
    """The grid's answer with the rollout's status, each unit's ``updated`` (and, only where true, ``offline``,
    ``failed`` and ``rolledBack``, so that every such unit can be listed however many there are) and the
    deadline resync."""
    for unit, state in response["status"]["states"].items():
        state["updated"] = unit in decision.updated
        for flag, units in (("offline", decision.offline), ("failed", decision.failed)):
            if unit in units:
                state[flag] = True
        if unit in decision.rolled_back:
            state["rolledBack"] = True
    response["status"]["rollout"] = decision.status
    if decision.resync_after is not None:
        response["resyncAfterSeconds"] = decision.resync_after
    return response
