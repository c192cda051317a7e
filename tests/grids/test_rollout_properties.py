"""Property: whatever the observed children do, a rollout never moves a unit out of turn, never has more
than maxUpdating units of a step on their way, and never drops a child."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.grids.revision import observed_revision
from hooks.grids.rollout_spec import parse_max_updating
from hooks.grids.workload import is_ready
from tests.support.builders import deployment_spec, grid, observed, site_nodes
from tests.support.rollout_builders import steady, stored, sync

UNITS = [f"u{i}" for i in range(7)]
IMAGES = ["nginx:1.27", "nginx:1.28", "nginx:1.29"]


@st.composite
def scenarios(draw):
    units = draw(st.lists(st.sampled_from(UNITS), min_size=2, max_size=7, unique=True))
    step_of = {u: draw(st.integers(0, 2)) for u in units}  # step 2 is the implicit "remaining" step
    limits = [draw(st.sampled_from([1, 2, 3, "30%", "50%", "100%"])) for _ in range(3)]
    steps = [{"name": f"s{i}", "units": sorted(u for u in units if step_of[u] == i) or ["nobody"]} for i in (0, 1)]
    for i, step in enumerate(steps):
        step["maxUpdating"] = limits[i]
    rollout = {"steps": steps, "maxUpdating": limits[2], "progressDeadlineSeconds": 60}
    if draw(st.booleans()):
        rollout["paused"] = draw(st.booleans())
    syncs = draw(
        st.lists(
            st.tuples(
                st.integers(0, 90),  # seconds that pass before this sync
                st.sampled_from([0, 0, 0, 1, 2]),  # the template's image (occasionally a new revision)
                st.dictionaries(st.sampled_from(units), st.sampled_from(["ready", "not-ready", "refused"])),
            ),
            min_size=1,
            max_size=10,
        )
    )
    return units, step_of, rollout, syncs


def at(seconds: int) -> str:
    return f"2026-01-01T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}Z"


def parent_for(rollout: dict, image: int) -> dict:
    return grid(rollout=rollout, template=deployment_spec(image=IMAGES[image]))


def check_sync(units, step_of, rollout, parent, nodes, before, response, now) -> None:
    desired = {c["metadata"]["name"]: c for c in response["children"]}
    assert set(desired) >= {k.split("/")[1] for k in before}, "an observed child was dropped"
    fresh = {c["metadata"]["name"]: observed_revision(c) for c in sync(parent, nodes, {}, now)["children"]}
    seen = {u: before.get(f"shop/web-{u}") for u in units}
    updated = {u: seen[u] is not None and observed_revision(seen[u]) == fresh[f"web-{u}"] for u in units}
    healthy = {u: updated[u] and is_ready(seen[u]) for u in units}
    moved = [
        u for u in units if seen[u] is not None and observed_revision(desired[f"web-{u}"]) != observed_revision(seen[u])
    ]
    if not moved:
        return
    assert not rollout.get("paused"), "a paused rollout moved a unit"
    current = min(step_of[u] for u in units if not healthy[u])
    assert {step_of[u] for u in moved} == {current}, "a unit moved outside the current step"
    in_step = [u for u in units if step_of[u] == current]
    limit = rollout["steps"][current]["maxUpdating"] if current < 2 else rollout["maxUpdating"]
    on_way = [u for u in in_step if updated[u] and not healthy[u]]
    assert len(on_way) + len(moved) <= parse_max_updating(limit, "x").of(len(in_step)), "too many units on their way"
    assert all(
        desired[f"web-{u}"]["metadata"]["annotations"]["superedge.io/revision"] == fresh[f"web-{u}"] for u in moved
    )


def apply(response: dict, before: dict, outcomes: dict) -> dict:
    """Metacontroller applies every answered child; the API server may refuse one; pods get ready or not."""
    after = {}
    for child in response["children"]:
        key = f"shop/{child['metadata']['name']}"
        if child["kind"] == "ControllerRevision":
            after[key] = stored(child)
            continue
        unit = child["metadata"]["labels"]["site"]
        outcome = outcomes.get(unit, "ready")
        old = before.get(key)
        if outcome == "refused" and old is not None:
            after[key] = copy.deepcopy(old)
        elif old is not None and old["metadata"].get("annotations") == child["metadata"].get("annotations"):
            after[key] = observed(child, ready=outcome == "ready") if unit in outcomes else copy.deepcopy(old)
        else:
            after[key] = observed(child, ready=outcome == "ready")
    return after


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_no_unit_moves_out_of_turn_or_beyond_max_updating_and_no_child_is_dropped(scenario) -> None:
    units, step_of, rollout, syncs = scenario
    nodes = site_nodes(**dict.fromkeys(units, 1))
    children = steady(parent_for(rollout, 0), nodes, at(0))
    clock = 0
    for seconds, image, outcomes in syncs:
        clock += seconds
        parent = parent_for(rollout, image)
        response = sync(parent, nodes, children, at(clock))
        check_sync(units, step_of, rollout, parent, nodes, children, response, at(clock))
        assert set(response) <= {"status", "children", "resyncAfterSeconds"}
        children = apply(response, children, outcomes)
