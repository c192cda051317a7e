"""Property tests: for random clusters, a grid reading NodeUnits renders byte for byte what it renders from Nodes.

The NodeUnits are made as in a cluster: the NodeGroup sync hook runs over the
same Nodes, and its children are fed to the grid, as the API server stores them.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.grids import workload_grid
from hooks.grids.grid_kinds import GRID_KINDS
from hooks.grids.workload import DEPLOYMENT
from hooks.kube.names import is_label_value
from hooks.protocol import codec
from tests.support.builders import NOW, children_map, grid, node, observed, sync_request
from tests.support.kind_builders import configmap_grid, cronjob_grid, daemonset_grid, live_child, observed_daemonset
from tests.support.nodeunit_builders import nodeunits_of, nu_request
from tests.support.service_builders import observed_service, service_grid

label_values = st.from_regex(r"\A([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)\Z", fullmatch=True)
keys = st.sampled_from(["site", "topology.kubernetes.io/zone", "edge.example.com/unit", "Site_Key"])
grid_names = st.from_regex(r"\A[a-z][a-z0-9-]{0,40}[a-z0-9]\Z", fullmatch=True)
group_names = st.from_regex(r"\A[a-z][a-z0-9-]{0,60}[a-z0-9]\Z", fullmatch=True)
# Every grid kind: how to build one, and how its children look once the API server has them.
BUILD = {
    "DeploymentGrid": (lambda name, spec: grid("DeploymentGrid", name=name, **spec), observed),
    "StatefulSetGrid": (lambda name, spec: grid("StatefulSetGrid", name=name, **spec), observed),
    "DaemonSetGrid": (
        lambda name, spec: daemonset_grid(name, **spec),
        lambda child, ready: observed_daemonset(child, ready=ready),
    ),
    "CronJobGrid": (lambda name, spec: cronjob_grid(name, **spec), live_child),
    "ConfigMapGrid": (lambda name, spec: configmap_grid(name, **spec), live_child),
    "ServiceGrid": (lambda name, spec: service_grid(name, **spec), lambda child, ready: observed_service(child)),
}
kinds = st.sampled_from(sorted(GRID_KINDS))


@st.composite
def clusters(draw):
    """(key, units, nodes): 0-10 units of 1-3 nodes, plus nodes of other keys and with an empty value."""
    key = draw(keys)
    units = draw(st.lists(label_values, max_size=10, unique=True))
    nodes = {}
    for i, unit in enumerate(units):
        for j in range(draw(st.integers(1, 3))):
            nodes[f"n{i}-{j}"] = node(f"n{i}-{j}", {key: unit, "tier": draw(st.sampled_from(["edge", "core"]))})
    nodes["stray"] = node("stray", {"other": "v"})
    nodes["empty"] = node("empty", {key: ""})
    return key, units, nodes


@st.composite
def unit_selectors(draw, key, units):
    """None, or a nodeSelector over unit names only (what NodeUnits mode allows)."""
    choice = draw(st.sampled_from(["none", "In", "NotIn", "matchLabels", "Exists"]))
    picked = draw(st.lists(st.sampled_from([*units, "no-such-unit"]), min_size=1, max_size=3, unique=True))
    if choice == "none":
        return None
    if choice == "matchLabels":
        return {"matchLabels": {key: picked[0]}}
    if choice == "Exists":
        return {"matchExpressions": [{"key": key, "operator": "Exists"}]}
    return {"matchExpressions": [{"key": key, "operator": choice, "values": picked}]}


@st.composite
def scenarios(draw):
    key, units, nodes = draw(clusters())
    grid_kind = draw(kinds)
    build, live = BUILD[grid_kind]
    kind = GRID_KINDS[grid_kind]
    spec = {"gridUniqKey": key}
    selector = draw(unit_selectors(key, units))
    if selector is not None:
        spec["nodeSelector"] = selector
    parent = build(draw(grid_names), spec)
    # Observed children: some of what an earlier sync made (any readiness), including units since gone.
    earlier_units = [*units, *draw(st.lists(label_values, max_size=2, unique=True))]
    earlier = {f"e{i}": node(f"e{i}", {key: u}) for i, u in enumerate(earlier_units)}
    made = kind.sync(sync_request(parent, earlier, child_type=kind.child_types[0]), NOW)["children"]
    kept = [live(c, draw(st.booleans())) for c in made if draw(st.booleans())]
    return kind, parent, units, nodes, children_map(kept), draw(group_names), earlier


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_nodeunits_mode_renders_the_same_bytes_as_nodes_mode(scenario):
    """The NodeGroup saw the earlier sites too, so every site gone since is a tombstone: the same verdicts."""
    kind, parent, _units, nodes, lives, group, earlier = scenario
    key, child_type = parent["spec"]["gridUniqKey"], kind.child_types[0]
    by_nodes = kind.sync(sync_request(parent, nodes, lives, child_type), NOW)

    nodeunits = nodeunits_of(nodes, key, group, seen=nodeunits_of(earlier, key, group))
    unit_parent = {**parent, "spec": {**parent["spec"], "siteSource": "NodeUnits"}}
    by_units = kind.sync(nu_request(unit_parent, nodeunits, lives, child_type), NOW)

    if nodeunits:
        assert codec.dumps(by_units["children"]) == codec.dumps(by_nodes["children"])
        assert codec.dumps(by_units) == codec.dumps(by_nodes)  # status too: same units, same observed children
    else:
        # No NodeUnit for the key: Nodes mode has no units, NodeUnits mode refuses to conclude that.
        assert all(c["metadata"]["name"] == f"{parent['metadata']['name']}-svc" for c in by_nodes["children"])
        assert sorted(c["metadata"]["name"] for c in by_units["children"]) == sorted(
            live["metadata"]["name"] for live in lives.values()
        )
        assert [c["reason"] for c in by_units["status"]["conditions"] if c["type"] == "Synced"] == ["NoNodeUnits"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_without_tombstones_no_child_is_removed(scenario):
    """NodeUnits of the current sites only (a NodeGroup that never saw the others): nothing observed is lost."""
    kind, parent, _units, nodes, lives, group, _ = scenario
    unit_parent = {**parent, "spec": {**parent["spec"], "siteSource": "NodeUnits"}}
    by_units = kind.sync(
        nu_request(unit_parent, nodeunits_of(nodes, parent["spec"]["gridUniqKey"], group), lives, kind.child_types[0]),
        NOW,
    )
    assert {c["metadata"]["name"] for c in lives.values()} <= {c["metadata"]["name"] for c in by_units["children"]}


junk = st.one_of(st.none(), st.integers(), st.text(max_size=8), st.lists(st.integers(), max_size=2))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters(), st.data())
def test_odd_nodeunits_never_cost_a_unit_with_a_good_nodeunit(cluster, data):
    """Malformed NodeUnits are skipped; every unit with a well-formed NodeUnit keeps its child."""
    key, units, nodes = cluster
    nodeunits = nodeunits_of(nodes, key)
    good_units = set(units)
    tombstoned: set[str] = set()
    for i in range(data.draw(st.integers(0, 4))):
        field = data.draw(st.sampled_from(["spec", "unit", "gridUniqKey", "nodes", "metadata"]))
        odd = {"apiVersion": "superedge.io/v1", "kind": "NodeUnit", "spec": {"gridUniqKey": key, "unit": "u"}}
        if field in ("spec", "metadata"):
            odd[field] = data.draw(junk)
        else:
            odd["spec"][field] = data.draw(junk)
        spec = odd["spec"]
        if (
            isinstance(spec, dict)
            and spec.get("gridUniqKey") == key
            and is_label_value(spec.get("unit"))
            and spec["unit"]
        ):
            if spec.get("nodes") == []:  # an empty node list is a tombstone: that site is gone
                tombstoned.add(spec["unit"])
            else:
                good_units.add(spec["unit"])  # still a well-formed NodeUnit of the key (a NodeGroup could write it)
        nodeunits[f"odd-{i}"] = odd
    resp = workload_grid.sync(nu_request(grid(gridUniqKey=key, siteSource="NodeUnits"), nodeunits), DEPLOYMENT, NOW)
    if good_units:
        assert {c["metadata"]["labels"][key] for c in resp["children"]} == good_units
    elif tombstoned:
        assert resp["children"] == []
        assert [c["reason"] for c in resp["status"]["conditions"]] == ["NoUnits", "Synced"]
    else:
        assert resp["children"] == []
        assert [c["reason"] for c in resp["status"]["conditions"]] == ["NoNodeUnits"]
