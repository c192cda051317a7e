"""Property tests with random override lists: invariants always win, failures stay per unit, nothing is dropped.

Every child produced here is also checked against the Kubernetes schema by tests/conftest.py,
so these examples double as a search for children our own checks let through wrongly.
"""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.grids import workload_grid
from hooks.grids.workload import DEPLOYMENT, STATEFULSET
from tests.support import k8s_schema
from tests.support.builders import NOW, children_map, deployment_spec, grid, node, observed, reordered, sync_request

KEY = "site"
UNITS = ["a", "b", "Store_1", "x.y"]
ENV = "/spec/template/spec/containers/0/env"

BENIGN = [
    {"op": "add", "path": ENV + "/-", "value": {"name": "SITE", "value": "{{unit}}"}},
    {"op": "add", "path": "/metadata/annotations/example.com~1site", "value": "{{unit}}"},
    {"op": "add", "path": "/spec/template/metadata/annotations", "value": {"site-{{unit}}": "1"}},
    {"op": "replace", "path": "/spec/replicas", "value": 4},
    {"op": "add", "path": "/spec/minReadySeconds", "value": 5},
    {"op": "add", "path": "/spec/template/spec/containers/0/ports", "value": [{"containerPort": 8080}]},
    {"op": "copy", "from": "/spec/template/spec/containers/0/image", "path": "/metadata/annotations/image"},
]
HOSTILE = [
    {"op": "add", "path": "/spec/template/spec/nodeSelector", "value": {KEY: "b"}},
    {"op": "add", "path": "/spec/selector/matchLabels/site", "value": "other"},
    {"op": "add", "path": "/spec/template/metadata/labels/site", "value": "other"},
    {"op": "replace", "path": "/metadata/name", "value": "stolen"},
    {"op": "add", "path": "/metadata/namespace", "value": "kube-system"},
    {"op": "remove", "path": "/metadata/labels"},
    {"op": "remove", "path": "/spec/selector"},
    {"op": "replace", "path": "/spec/template/spec/nodeSelector", "value": {}},
]
FAILING = [
    {"op": "remove", "path": "/spec/paused"},
    {"op": "test", "path": "/spec/replicas", "value": 99},
    {"op": "replace", "path": "/spec/replicas", "value": -3},
    {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "Not An Image"},
    {"op": "replace", "path": "/spec/template/spec/containers", "value": []},
    {"op": "remove", "path": "/spec/template/metadata/labels/app"},
    {"op": "replace", "path": "/spec/template", "value": "x"},
    {"op": "add", "path": "/status", "value": {}},
    {"op": "add", "path": ENV + "/-", "value": {"name": "N", "value": 1}},
]

entries = st.fixed_dictionaries(
    {},
    optional={
        "units": st.lists(st.sampled_from([*UNITS, "gone"]), max_size=3, unique=True),
        "replicas": st.integers(0, 9),
        "images": st.sampled_from([{"web": "nginx:1.28"}, {"web": "registry.example.com/web:2"}, {"nope": "nginx:1"}]),
        "patch": st.lists(st.sampled_from(BENIGN + HOSTILE + FAILING), max_size=4),
    },
)
override_lists = st.lists(entries, max_size=5)
kinds = st.sampled_from([DEPLOYMENT, STATEFULSET])


def template() -> dict:
    spec = deployment_spec()
    spec["template"]["spec"]["containers"][0]["env"] = [{"name": "LOG_LEVEL", "value": "info"}]
    return spec


def nodes() -> dict:
    return {f"n-{i}": node(f"n-{i}", {KEY: unit}) for i, unit in enumerate(UNITS)}


def request(kind, overrides, children=None):
    parent = grid(kind.grid_kind, template=template(), overrides=overrides)
    return sync_request(parent, nodes(), children, child_type=kind.child_type)


def live(kind):
    """Every unit's child as observed after a sync without overrides."""
    return children_map([observed(c) for c in workload_grid.sync(request(kind, []), kind, NOW)["children"]])


LIVE = {kind.kind: live(kind) for kind in (DEPLOYMENT, STATEFULSET)}


def expected_replicas(overrides: list, unit: str) -> object:
    """A model of replicas alone: entries in order, ``replicas`` before the entry's patch."""
    replicas: object = 2
    for entry in overrides:
        if "units" in entry and unit not in entry["units"]:
            continue
        replicas = entry.get("replicas", replicas)
        for op in entry.get("patch", []):
            if op["path"] == "/spec/replicas" and op["op"] == "replace":
                replicas = op["value"]
    return replicas


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(override_lists, kinds)
def test_random_overrides_keep_invariants_and_every_child(overrides, kind):
    observed_children = LIVE[kind.kind]
    req = request(kind, overrides, observed_children)
    resp = workload_grid.sync(req, kind, NOW)
    states = resp["status"]["states"]
    kids = {c["metadata"]["name"]: c for c in resp["children"]}
    assert sorted(kids) == sorted(c["metadata"]["name"] for c in observed_children.values())  # nothing dropped
    kept_by_unit = {c["metadata"]["labels"][KEY]: c for c in observed_children.values()}
    for unit in UNITS:
        name = kept_by_unit[unit]["metadata"]["name"]
        child = kids[name]
        if "error" in states[unit]:
            assert child["spec"] == kept_by_unit[unit]["spec"], "a failed unit keeps its observed child"
            continue
        assert child["metadata"]["namespace"] == "shop"
        assert child["metadata"]["labels"][KEY] == unit
        assert child["metadata"]["labels"]["superedge.io/grid-selector"] == "web"
        assert child["spec"]["selector"]["matchLabels"][KEY] == unit
        assert child["spec"]["template"]["metadata"]["labels"][KEY] == unit
        assert child["spec"]["template"]["spec"]["nodeSelector"] == {KEY: unit}
        assert child["spec"].get("replicas") == expected_replicas(overrides, unit)
        k8s_schema.assert_valid(child)
    again = workload_grid.sync(reordered(req), kind, NOW)  # the same request, every map in reverse order
    assert json.dumps(again, sort_keys=True) == json.dumps(resp, sort_keys=True)
    named = {u for e in overrides for u in e.get("units", [])}
    assert resp["status"].get("unmatchedOverrideUnits", []) == sorted(named - set(UNITS))


@settings(max_examples=40, deadline=None)
@given(override_lists)
def test_request_is_never_mutated(overrides):
    req = request(DEPLOYMENT, overrides, LIVE["Deployment"])
    before = json.dumps(req, sort_keys=True)
    workload_grid.sync(req, DEPLOYMENT, NOW)
    assert json.dumps(req, sort_keys=True) == before
