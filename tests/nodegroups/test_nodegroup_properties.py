"""Property tests: for random fleets and grids, the NodeGroup status says what the objects say."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.nodegroups import nodegroup
from hooks.sites.nodeunit import is_tombstone
from tests.install.test_nodegroup_manifests import SCHEMA, schema_errors
from tests.support.builders import NOW, reordered
from tests.support.nodegroup_builders import fleet, health_node, ng_request, node_group, workload_grid
from tests.support.nodeunit_builders import as_stored

label_values = st.from_regex(r"\A([A-Za-z0-9]([-A-Za-z0-9_.]{0,20}[A-Za-z0-9])?)\Z", fullmatch=True)
keys = st.sampled_from(["site", "topology.kubernetes.io/zone"])


@st.composite
def clusters(draw):
    key = draw(keys)
    units = draw(st.lists(label_values, max_size=8, unique=True))
    nodes = {}
    for i, unit in enumerate(units):
        for j in range(draw(st.integers(1, 3))):
            nodes[f"n{i}-{j}"] = health_node(f"n{i}-{j}", {key: unit}, ready=draw(st.booleans()))
    nodes["stray"] = health_node("stray", {"other": "x"})
    reported = st.sampled_from([*units, "gone-unit"]) if units else st.just("gone-unit")
    grids = []
    for g in range(draw(st.integers(0, 6))):
        states = draw(st.dictionaries(reported, st.booleans(), max_size=len(units) + 1))
        grids.append(
            workload_grid(
                draw(st.sampled_from(["shop", "video", "db"])),
                f"g{g}",
                states,
                kind=draw(st.sampled_from(["DeploymentGrid", "StatefulSetGrid"])),
                key=draw(st.sampled_from([key, "elsewhere"])),
            )
        )
    return key, nodes, grids


@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow])
@given(clusters())
def test_status_reflects_nodes_and_grid_states(cluster):
    key, nodes, grids = cluster
    req = ng_request(node_group(gridUniqKey=key), nodes, grids)
    status = nodegroup.sync(req, NOW)["status"]

    members: dict[str, list[dict]] = {}
    for node in nodes.values():
        if key in node["metadata"]["labels"]:
            members.setdefault(node["metadata"]["labels"][key], []).append(node)
    assert status["units"] == len(status["nodeUnits"]) == len(members)

    mine = [g for g in grids if g["spec"]["gridUniqKey"] == key]
    for unit, entry in status["nodeUnits"].items():
        names = sorted(n["metadata"]["name"] for n in members[unit])
        ready_nodes = sum(1 for n in members[unit] if n["status"]["conditions"][1]["status"] == "True")
        assert entry["nodes"] == names
        assert (entry["readyNodes"], entry["notReadyNodes"]) == (ready_nodes, len(names) - ready_nodes)
        not_ready = sorted(
            f"{g['metadata']['namespace']}/{g['kind']}/{g['metadata']['name']}"
            for g in mine
            if g["status"]["states"].get(unit, {}).get("ready") is not True
        )
        assert entry["workloads"] == len(mine)
        assert entry["readyWorkloads"] == len(mine) - len(not_ready)
        assert entry["notReadyWorkloads"] == not_ready[:20]
        assert entry["ready"] == (ready_nodes > 0 and not not_ready)
    assert status["readyUnits"] == sum(1 for e in status["nodeUnits"].values() if e["ready"])
    assert schema_errors(status, SCHEMA["properties"]["status"], "status") == []

    children = nodegroup.sync(req, NOW)["children"]
    assert {c["spec"]["unit"]: c["spec"]["nodes"] for c in children} == {
        unit: entry["nodes"] for unit, entry in status["nodeUnits"].items()
    }  # the NodeUnits hold the membership the status shows
    again = nodegroup.sync(reordered(req), NOW)  # the same request, every map in reverse order
    assert json.dumps(again, sort_keys=True) == json.dumps({"status": status, "children": children}, sort_keys=True)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "d", "Shanghai_01"]), unique=True),
    st.lists(st.sampled_from(["a", "b", "c", "d", "Shanghai_01"]), unique=True),
    st.lists(st.sampled_from(["a", "b", "c", "e"]), unique=True),
)
def test_tombstones_exactly_for_sites_that_lost_their_nodes(before, after, listed):
    """Live NodeUnits for the sites with nodes, tombstones for the others that it had or a NodeUnits grid lists."""
    seen_resp = nodegroup.sync(ng_request(node_group(), fleet(**dict.fromkeys(before, 1))), NOW)
    seen = {c["metadata"]["name"]: as_stored(c) for c in seen_resp["children"]}
    reporting = workload_grid("shop", "web", dict.fromkeys(listed, True))
    reporting["spec"]["siteSource"] = "NodeUnits"
    resp = nodegroup.sync(ng_request(node_group(), fleet(**dict.fromkeys(after, 1)), [reporting], seen), NOW)
    names = [c["metadata"]["name"] for c in resp["children"]]
    assert len(names) == len(set(names))
    live = {c["spec"]["unit"] for c in resp["children"] if not is_tombstone(c)}
    stones = {c["spec"]["unit"] for c in resp["children"] if is_tombstone(c)}
    assert live == set(after)
    assert stones == (set(before) | set(listed)) - set(after)
    assert ("resyncAfterSeconds" in resp) == bool(stones)
