"""Partial NodeUnit sets: whatever subset of a NodeGroup's NodeUnits a grid sees, no child is dropped or changed.

The garbage collector deletes a NodeGroup's NodeUnits one at a time, in any order, and Metacontroller creates
them one at a time; a grid may sync between any two steps. These properties feed grids every subset and every
order, with the observed children fed back as Metacontroller would apply them (its last-applied record
included), and check that each observed child comes back exactly as it was. Only a tombstone (a NodeUnit with
no nodes) may take a unit's child away.
"""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.grids.children import METACONTROLLER_LAST_APPLIED
from hooks.grids.grid_kinds import GRID_KINDS
from hooks.sites.nodeunit import is_tombstone
from tests.support.builders import NOW, children_map, grid, node, observed
from tests.support.kind_builders import (
    configmap_grid,
    cronjob_grid,
    daemonset_grid,
    observed_configmap,
    observed_cronjob,
    observed_daemonset,
)
from tests.support.nodeunit_builders import nodeunits_of, nu_request
from tests.support.service_builders import observed_service, service_grid

label_values = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?\Z", fullmatch=True)
LATER = "2026-01-01T00:30:00Z"
BUILD = {
    "DeploymentGrid": (lambda spec: grid("DeploymentGrid", **spec), observed),
    "StatefulSetGrid": (lambda spec: grid("StatefulSetGrid", **spec), observed),
    "DaemonSetGrid": (lambda spec: daemonset_grid(**spec), observed_daemonset),
    "CronJobGrid": (lambda spec: cronjob_grid(**spec), observed_cronjob),
    "ConfigMapGrid": (lambda spec: configmap_grid(**spec), observed_configmap),
    "ServiceGrid": (lambda spec: service_grid("api", **spec), lambda child: observed_service(child)),
}


def applied(child: dict, kind: str) -> dict:
    """A desired child as Metacontroller leaves it in the cluster: stored form plus its last-applied record."""
    live = BUILD[kind][1](child)
    live = copy.deepcopy(live)
    live["metadata"].setdefault("annotations", {})[METACONTROLLER_LAST_APPLIED] = json.dumps(child)
    return live


def by_name(children: list[dict]) -> dict[str, dict]:
    return {c["metadata"]["name"]: c for c in children}


@st.composite
def fleets(draw):
    """A grid in NodeUnits mode over 1-8 sites, its real NodeUnit set, and its steady-state children."""
    kind = draw(st.sampled_from(sorted(GRID_KINDS)))
    units = draw(st.lists(label_values, min_size=1, max_size=8, unique=True))
    nodes = {f"n{i}-{j}": node(f"n{i}-{j}", {"site": u}) for i, u in enumerate(units) for j in range(2)}
    grace = draw(st.sampled_from([None, 0, 600]))
    spec = {"gridUniqKey": "site", "siteSource": "NodeUnits"}
    if grace is not None:
        spec["unitRemovalGracePeriodSeconds"] = grace
    if kind not in ("ServiceGrid", "ConfigMapGrid") and draw(st.booleans()):
        spec["rollout"] = {"maxUpdating": 1}  # a rollout must not move an unlisted unit either
    parent = BUILD[kind][0](spec)
    real = nodeunits_of(nodes)
    steady = GRID_KINDS[kind].sync(nu_request(parent, real, child_type=GRID_KINDS[kind].child_types[0]), NOW)
    return kind, parent, real, steady["children"]


def sync(kind: str, parent: dict, nodeunits: dict, children: list[dict], now: str = LATER) -> dict:
    grid_kind = GRID_KINDS[kind]
    lives = children_map([applied(c, kind) for c in children])
    return grid_kind.sync(nu_request(parent, nodeunits, lives, grid_kind.child_types[0]), now)


def assert_nothing_lost_or_changed(before: list[dict], response: dict) -> None:
    after = by_name(response["children"])
    for name, child in by_name(before).items():
        assert name in after, f"{name} was dropped"
        assert after[name] == child, f"{name} was changed"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets(), st.data())
def test_any_subset_of_the_nodeunits_keeps_every_child_as_it_is(fleet, data):
    kind, parent, real, steady = fleet
    subset = {name: real[name] for name in data.draw(st.lists(st.sampled_from(sorted(real)), unique=True))}
    resp = sync(kind, parent, subset, steady)
    assert_nothing_lost_or_changed(steady, resp)
    assert "resyncAfterSeconds" not in resp  # no departure clock was started by an absence


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets(), st.data())
def test_deletion_then_recreation_in_any_order_never_touches_a_child(fleet, data):
    """The NodeGroup is deleted (GC removes its NodeUnits one by one) and created again (one by one)."""
    kind, parent, real, steady = fleet
    gone_order = data.draw(st.permutations(sorted(real)))
    back_order = data.draw(st.permutations(sorted(real)))
    present = dict(real)
    children = steady
    steps = [("delete", name) for name in gone_order] + [("create", name) for name in back_order]
    for action, name in steps:
        if action == "delete":
            del present[name]
        else:
            present[name] = real[name]
        resp = sync(kind, parent, present, children)
        assert_nothing_lost_or_changed(steady, resp)
        children = resp["children"]  # Metacontroller applies the answer; the next sync observes it
    assert resp["children"] == steady
    assert [c["status"] for c in resp["status"]["conditions"] if c["type"] == "Synced"] == ["True"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets(), st.data())
def test_only_a_tombstone_takes_a_child_away(fleet, data):
    """Sites that lost their last node become tombstones; any subset of the NodeUnits still drops nothing else."""
    kind, parent, real, steady = fleet
    units = sorted(nu["spec"]["unit"] for nu in real.values())
    leaving = set(data.draw(st.lists(st.sampled_from(units), unique=True)))
    staying = [u for u in units if u not in leaving]
    nodes = {f"m-{u}": node(f"m-{u}", {"site": u}) for u in staying}
    after = nodeunits_of(nodes, seen=real) if staying or leaving else {}
    after = {name: nu for name, nu in after.items() if nu["spec"]["unit"] in leaving or staying}
    subset = {name: after[name] for name in data.draw(st.lists(st.sampled_from(sorted(after)), unique=True))}
    stones = {nu["spec"]["unit"] for nu in subset.values() if is_tombstone(nu)}
    resp = sync(kind, parent, subset, steady)
    kept = by_name(resp["children"])
    for child in steady:
        unit = child["metadata"]["labels"].get("site")
        name = child["metadata"]["name"]
        if unit in stones and parent["spec"].get("unitRemovalGracePeriodSeconds"):
            assert name in kept  # the grid's own grace period still applies
        elif unit in stones:
            assert name not in kept
        else:
            assert kept.get(name) == child
