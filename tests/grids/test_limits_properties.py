"""Property: whatever patch chain a grid holds, no child the hook renders exceeds what the API server can store
with Metacontroller's record of it, and a unit over a limit keeps its observed child exactly."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.grids import workload_grid
from hooks.grids.children import kept_child
from hooks.grids.limits import MAX_CHILD_BYTES, child_footprint
from hooks.grids.workload import DEPLOYMENT
from hooks.kube.sizes import ANNOTATIONS_LIMIT
from tests.support.builders import NOW, children_map, deployment_spec, grid, observed, site_nodes, sync_request

NODES = site_nodes(a=1, b=1, c=1)
ENV = "/spec/template/spec/containers/0/env"
ANNOTATIONS = "/spec/template/metadata/annotations"
STAMP_BYTES = 128  # the revision stamp is added after the check (within the headroom): key and value, twice

big_strings = st.sampled_from(["x" * 20_000, "x" * 60_000, "<&>" * 5_000])  # the last: 90,000 bytes as Go writes it
slots = st.integers(0, 3).map(str)
growing = st.one_of(
    st.builds(lambda n, v: {"op": "add", "path": f"/metadata/annotations/big-{n}", "value": v}, slots, big_strings),
    st.builds(lambda v: {"op": "add", "path": ENV + "/-", "value": {"name": "PAD", "value": v}}, big_strings),
    st.just({"op": "copy", "from": ENV, "path": "/spec/template/spec/initContainers/0/env"}),
    st.just({"op": "copy", "from": ENV + "/0", "path": ENV + "/-"}),
    st.builds(lambda n: {"op": "copy", "from": "/spec/template", "path": f"{ANNOTATIONS}/x{n}"}, slots),
    st.builds(lambda n: {"op": "copy", "from": "/spec/template/spec", "path": f"{ANNOTATIONS}/y{n}"}, slots),
)
shrinking = st.one_of(
    st.builds(  # removes what may be big, and never fails for want of it
        lambda n: [
            {"op": "add", "path": f"/metadata/annotations/big-{n}", "value": "-"},
            {"op": "remove", "path": f"/metadata/annotations/big-{n}"},
        ],
        slots,
    ),
    st.just([{"op": "replace", "path": ENV, "value": [{"name": "SEED", "value": "z"}]}]),
    st.just([{"op": "add", "path": f"{ANNOTATIONS}/seed", "value": "1"}]),
    st.just([{"op": "test", "path": "/kind", "value": "Deployment"}]),
)
operations = st.lists(st.one_of(growing.map(lambda op: [op]), shrinking), min_size=1, max_size=10).map(
    lambda groups: [op for group in groups for op in group]
)
entries = st.fixed_dictionaries(
    {"patch": operations},
    optional={"units": st.lists(st.sampled_from(["a", "b", "c"]), max_size=2, unique=True)},
)


def template() -> dict:
    spec = deployment_spec()
    spec["template"]["spec"]["containers"][0]["env"] = [{"name": "SEED", "value": "z" * 5_000}]
    spec["template"]["metadata"]["annotations"] = {"seed": "1"}
    spec["template"]["spec"]["initContainers"] = [{"name": "init", "image": "busybox:1.37"}]
    return spec


def lives() -> dict:
    rendered = workload_grid.sync(sync_request(grid(template=template()), NODES), DEPLOYMENT, NOW)["children"]
    return children_map([observed(c) for c in rendered])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entries, min_size=1, max_size=3))
def test_no_rendered_child_exceeds_the_bound_and_a_refused_unit_keeps_its_child(overrides):
    observed_children = lives()
    request = sync_request(grid(template=template(), overrides=overrides), NODES, observed_children)
    resp = workload_grid.sync(request, DEPLOYMENT, NOW)
    children = {c["metadata"]["labels"]["site"]: c for c in resp["children"]}
    assert set(children) == {"a", "b", "c"}  # every unit has a child: fresh or kept, never dropped
    if "states" not in resp["status"]:  # a whole-grid refusal: everything kept
        assert all(children[u] == kept_child(observed_children[f"shop/web-{u}"]) for u in children)
        return
    for unit, state in resp["status"]["states"].items():
        child = children[unit]
        if "error" in state:
            assert child == kept_child(observed_children[f"shop/web-{unit}"])
        else:
            assert child_footprint(child) <= MAX_CHILD_BYTES + STAMP_BYTES < ANNOTATIONS_LIMIT
