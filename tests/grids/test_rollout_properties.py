"""Property: over any sequence of observed states -- children ready or not, refused, units going offline and
coming back at any point, new revisions -- a rollout never moves a unit out of turn or beyond maxUpdating,
never moves an offline unit nor waits for one, never runs on with more failures than its budget, rolls back
exactly the units that moved and exactly to the last completed revision, gives a new site the current render
(the completed one while rolled back), and never drops a child."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from hypothesis import event, given, settings
from hypothesis import strategies as st

from hooks.grids.history import COMPLETED, GRID_REVISION_LABEL, STATE_LABEL
from hooks.grids.revision import observed_revision
from hooks.grids.rollout import observed_since
from hooks.grids.rollout_spec import parse_max_failed, parse_max_updating, spec_revision
from hooks.grids.workload import is_ready
from hooks.kube.times import parse_time
from tests.support.builders import deployment_spec, grid, observed
from tests.support.rollout_builders import records, sites, stored, sync

UNITS = [f"u{i}" for i in range(7)]
IMAGES = ["nginx:1.27", "nginx:1.28", "nginx:broken"]
"""The last one never starts: a bad release, so that failures, halts and rollbacks happen often."""
DEADLINE, OFFLINE_AFTER = 60, 40
START = "2026-01-01T00:00:00Z"


@st.composite
def scenarios(draw):
    units = draw(st.lists(st.sampled_from(UNITS), min_size=2, max_size=7, unique=True))
    step_of = {u: draw(st.integers(0, 2)) for u in units}  # step 2 is the implicit "remaining" step
    limits = [draw(st.sampled_from([1, 2, 3, "30%", "50%", "100%"])) for _ in range(3)]
    steps = [{"name": f"s{i}", "units": sorted(u for u in units if step_of[u] == i) or ["nobody"]} for i in (0, 1)]
    for i, step in enumerate(steps):
        step["maxUpdating"] = limits[i]
    rollout = {
        "steps": steps,
        "maxUpdating": limits[2],
        "progressDeadlineSeconds": DEADLINE,
        "offlineAfterSeconds": OFFLINE_AFTER,
        "maxFailedUnits": draw(st.sampled_from([0, 0, 1, 2, "25%"])),
        "onFailure": draw(st.sampled_from(["Halt", "Rollback", "Rollback"])),
    }
    if draw(st.integers(0, 4)) == 0:
        rollout["paused"] = True
    syncs = draw(
        st.lists(
            st.tuples(
                st.integers(0, 90),  # seconds that pass before this sync
                st.sampled_from([None, None, None, None, 0, 1, 2]),  # now and then a new template image
                st.dictionaries(st.sampled_from(units), st.sampled_from(["ready", "not-ready", "refused"])),
                st.dictionaries(st.sampled_from(units), st.booleans(), max_size=3),  # nodes going dark / back
            ),
            min_size=1,
            max_size=12,
        )
    )
    return units, step_of, rollout, syncs


def at(seconds: int) -> str:
    return f"2026-01-01T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}Z"


def parent_for(rollout: dict, image: int) -> dict:
    return grid(rollout=rollout, template=deployment_spec(image=IMAGES[image]))


@dataclass
class Fleet:
    """Each unit's one node: Ready or not, since when."""

    nodes: dict[str, tuple[bool, str]]

    def flip(self, changes: dict[str, bool], now: str) -> None:
        for unit, ready in changes.items():
            if self.nodes[unit][0] != ready:
                self.nodes[unit] = (ready, now)

    def objects(self) -> dict:
        return sites(**self.nodes)

    def offline(self, unit: str, now: str) -> bool:
        ready, since = self.nodes[unit]
        return not ready and (parse_time(now) - parse_time(since)).total_seconds() >= OFFLINE_AFTER

    def dark(self, unit: str) -> bool:
        return not self.nodes[unit][0]

    def online_since(self, unit: str) -> str | None:
        ready, since = self.nodes[unit]
        return since if ready else None


def fresh_stamps(parent: dict, nodes: dict, now: str) -> dict[str, str]:
    """Unit -> the stamp of what ``parent`` renders for it (a sync with no observed child)."""
    answer = sync(parent, nodes, {}, now, history=False)
    return {c["metadata"]["labels"]["site"]: observed_revision(c) for c in answer["children"]}


def last_completed(children: dict, current: str) -> dict | None:
    """The observed record the hook must roll back to: Completed, not the current revision, the newest."""
    done = [
        r
        for r in records(children).values()
        if r["metadata"]["labels"].get(STATE_LABEL) == COMPLETED
        and r["metadata"]["labels"][GRID_REVISION_LABEL] != current
    ]
    return max(done, key=lambda r: r["revision"], default=None)


def failed(unit: str, seen: dict | None, updated: bool, fleet: Fleet, now: str) -> bool:
    """The oracle of a failed unit: online, updated, not ready, past its deadline (from its move or, if later,
    from when it came back online)."""
    if seen is None or not updated or is_ready(seen) or fleet.offline(unit, now):
        return False
    starts = [parse_time(t) for t in (observed_since(seen), fleet.online_since(unit)) if t is not None]
    if observed_since(seen) is None:
        return False
    return (parse_time(now) - max(starts)).total_seconds() >= DEADLINE


def check_sync(units, step_of, rollout, parent, fleet: Fleet, before: dict, response: dict, now: str) -> None:
    nodes = fleet.objects()
    desired = {c["metadata"]["name"]: c for c in response["children"] if c["kind"] == "Deployment"}
    assert set(desired) >= {k.split("/")[1] for k, v in before.items() if v["kind"] == "Deployment"}, "dropped"
    status = response["status"]["rollout"]
    event(f"state {status['state']}")
    fresh = fresh_stamps(parent, nodes, now)
    seen = {u: before.get(f"shop/web-{u}") for u in units}
    updated = {u: seen[u] is not None and observed_revision(seen[u]) == fresh[u] for u in units}
    healthy = {u: updated[u] and is_ready(seen[u]) for u in units}
    failing = {u: failed(u, seen[u], updated[u], fleet, now) for u in units}
    stamp = {u: observed_revision(desired[f"web-{u}"]) for u in units}
    target = last_completed(before, spec_revision(parent["spec"], "DeploymentGrid"))

    if status["state"] == "RolledBack":
        assert target is not None and status["rolledBackTo"] == target["metadata"]["labels"][GRID_REVISION_LABEL]
        completed = fresh_stamps(grid(rollout=rollout, **target["data"]["spec"]), nodes, now)
        for u in units:
            if seen[u] is None or updated[u]:  # moved to the failed revision, or new: the completed render
                assert stamp[u] == completed[u], f"{u} not rendered from the last completed revision"
            else:  # never moved: kept exactly
                assert stamp[u] == observed_revision(seen[u]), f"{u} moved although it never did"
        return

    for u in units:
        if seen[u] is None:
            assert stamp[u] == fresh[u], "a new site did not get the current render"
    moved = [u for u in units if seen[u] is not None and stamp[u] != observed_revision(seen[u])]
    assert all(stamp[u] == fresh[u] for u in moved), "a unit moved to something else than the current render"
    assert not any(fleet.dark(u) for u in moved), "a unit without a Ready node was moved"
    budget = parse_max_failed(rollout["maxFailedUnits"]).of(len(units))
    assert status.get("failedUnits", 0) <= budget or status["state"] == "Halted", "more failures than the budget"
    if moved:
        assert status["state"] == "Progressing" and not rollout.get("paused"), f"moved while {status['state']}"
        current = status["stepIndex"]
        assert {step_of[u] for u in moved} == {current}, "a unit moved outside the current step"
        in_step = [u for u in units if step_of[u] == current]
        limit = rollout["steps"][current]["maxUpdating"] if current < 2 else rollout["maxUpdating"]
        on_way = [u for u in in_step if updated[u] and not healthy[u] and not failing[u] and not fleet.offline(u, now)]
        assert len(on_way) + len(moved) <= parse_max_updating(limit, "x").of(len(in_step)), "beyond maxUpdating"
    if status["state"] in ("Progressing", "Paused", "Stuck"):
        current = status["stepIndex"]
        holding = [
            u
            for u in units
            if step_of[u] == current and not healthy[u] and not failing[u] and not fleet.offline(u, now)
        ]
        assert holding, "the current step is held by offline or failed units only"
    if all(healthy[u] or fleet.offline(u, now) for u in units):
        assert status["state"] in ("Complete", "WaitingForOffline", "Halted"), status["state"]


def apply(response: dict, before: dict, outcomes: dict, fleet: Fleet) -> dict:
    """Metacontroller applies every answered child; the API server may refuse one; pods get ready or not (never
    on a unit without a Ready node)."""
    after = {}
    for child in response["children"]:
        key = f"shop/{child['metadata']['name']}"
        if child["kind"] == "ControllerRevision":
            after[key] = stored(child)
            continue
        unit = child["metadata"]["labels"]["site"]
        broken = fleet.dark(unit) or child["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGES[2]
        outcome = "not-ready" if broken else outcomes.get(unit, "ready")
        old = before.get(key)
        if outcome == "refused" and old is not None:
            after[key] = copy.deepcopy(old)
        elif old is not None and old["metadata"].get("annotations") == child["metadata"].get("annotations"):
            changed = unit in outcomes or broken
            after[key] = observed(child, ready=outcome == "ready") if changed else copy.deepcopy(old)
        else:
            after[key] = observed(child, ready=outcome == "ready")
    return after


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_rollouts_keep_their_invariants_whatever_the_fleet_does(scenario) -> None:
    units, step_of, rollout, syncs = scenario
    fleet = Fleet({u: (True, START) for u in units})
    children: dict = {}
    for _ in range(3):  # the first revision everywhere, completed
        children = apply(sync(parent_for(rollout, 0), fleet.objects(), children, at(0)), children, {}, fleet)
    clock, image = 0, 0
    for seconds, switch, outcomes, flips in syncs:
        clock += seconds
        image = image if switch is None else switch
        fleet.flip(flips, at(clock))
        parent = parent_for(rollout, image)
        response = sync(parent, fleet.objects(), children, at(clock))
        check_sync(units, step_of, rollout, parent, fleet, children, response, at(clock))
        assert set(response) <= {"status", "children", "resyncAfterSeconds"}
        children = apply(response, children, outcomes, fleet)
