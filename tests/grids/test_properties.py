"""Property tests: for random nodes and grids, the children invariants of docs/reference.md (Children) hold."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.grids import workload_grid
from hooks.grids.workload import DEPLOYMENT, STATEFULSET
from hooks.kube.names import is_dns1035_label
from tests.support.builders import NOW, children_map, grid, node, observed, reordered, sync_request

label_values = st.from_regex(r"\A([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)\Z", fullmatch=True)
keys = st.sampled_from(["site", "topology.kubernetes.io/zone", "edge.example.com/unit", "Site_Key"])
grid_names = st.from_regex(r"\A[a-z][a-z0-9-]{0,60}[a-z0-9]\Z", fullmatch=True)
kinds = st.sampled_from([(DEPLOYMENT, "DeploymentGrid"), (STATEFULSET, "StatefulSetGrid")])


@st.composite
def clusters(draw):
    key = draw(keys)
    units = draw(st.lists(label_values, min_size=0, max_size=12, unique=True))
    nodes = {}
    for i, unit in enumerate(units):
        for j in range(draw(st.integers(1, 3))):
            nodes[f"n{i}-{j}"] = node(f"n{i}-{j}", {key: unit})
    for k in range(draw(st.integers(0, 3))):
        nodes[f"x{k}"] = node(f"x{k}", {"other": "v"})
    return key, units, nodes


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), grid_names, kinds)
def test_one_valid_pinned_child_per_unit(cluster, name, kind_pair):
    key, units, nodes = cluster
    kind, grid_kind = kind_pair
    req = sync_request(grid(grid_kind, name=name, gridUniqKey=key), nodes, child_type=kind.child_type)
    resp = workload_grid.sync(req, kind, NOW)
    kids = resp["children"]
    assert len(kids) == len(units)
    names = [c["metadata"]["name"] for c in kids]
    assert len(set(names)) == len(names)
    assert all(is_dns1035_label(n, kind.name_max) for n in names)
    assert {c["metadata"]["labels"][key] for c in kids} == set(units)
    for child in kids:
        unit = child["metadata"]["labels"][key]
        assert child["spec"]["template"]["spec"]["nodeSelector"][key] == unit
        assert child["spec"]["selector"]["matchLabels"][key] == unit
        assert child["spec"]["template"]["metadata"]["labels"][key] == unit
    assert names == sorted(names)
    again = workload_grid.sync(reordered(req), kind, NOW)  # the same request, every map in reverse order
    assert json.dumps(again, sort_keys=True) == json.dumps(resp, sort_keys=True)


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), st.sampled_from(["bad key", "", "a/b/c"]))
def test_invalid_spec_never_drops_an_observed_child(cluster, bad_key):
    key, _, nodes = cluster
    rendered = workload_grid.sync(sync_request(grid(gridUniqKey=key), nodes), DEPLOYMENT, NOW)["children"]
    lives = children_map([observed(c) for c in rendered])
    resp = workload_grid.sync(sync_request(grid(gridUniqKey=bad_key), nodes, lives), DEPLOYMENT, NOW)
    assert sorted(c["metadata"]["name"] for c in resp["children"]) == sorted(c["metadata"]["name"] for c in rendered)
