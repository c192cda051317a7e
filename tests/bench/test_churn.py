"""The churn benchmark's simulation of Metacontroller's wake-up rule, checked on a small fleet (nothing timed).

These are the facts the figures in docs/performance.md rest on: a Node heartbeat
wakes every parent with a matching Node rule and nothing that relates only
NodeUnits, and a heartbeat never changes a NodeUnit.
"""

from bench import churn
from hooks.nodegroups import nodegroup
from hooks.sites.nodeunit import nodeunit_rule

NODES = churn.fleet(20, 5)


def nodeunits():
    return churn.stored_nodeunits(nodegroup.sync(churn.nodegroup_request(NODES, [], {}), churn.STAMP)["children"])


def test_rule_matching_checks_kind_and_labels():
    node = NODES["edge-0000-0"]
    nodes_rule = {"apiVersion": "v1", "resource": "nodes", "labelSelector": {"matchLabels": {"site": "site-0000"}}}
    assert churn.rule_matches(nodes_rule, node)
    assert not churn.rule_matches({**nodes_rule, "labelSelector": {"matchLabels": {"site": "other"}}}, node)
    assert not churn.rule_matches(nodeunit_rule("site"), node)  # a Node is never a NodeUnit
    every_grid = {"apiVersion": "superedge.io/v1", "resource": "deploymentgrids", "labelSelector": {}}
    assert not churn.rule_matches(every_grid, node)  # an empty selector still checks the kind


def test_heartbeat_round_wakes_every_node_relating_parent_and_no_nodeunit_reader():
    units = nodeunits()
    wakeups = {}
    for source in ("Nodes", "NodeUnits"):
        tallies = churn.heartbeat_round(churn.parents_for(source, NODES, units, 4), NODES)
        wakeups[source] = {kind: t.calls for kind, t in tallies.items()}
    assert wakeups["Nodes"] == {"DeploymentGrid": 40, "StatefulSetGrid": 40, "NodeGroup": 20}
    assert wakeups["NodeUnits"] == {"NodeGroup": 20}


def test_heartbeats_leave_nodeunits_and_nodegroup_status_unchanged():
    before, after, status_before, status_after = churn.nodeunits_after_round(NODES, [], nodeunits())
    assert before == after and status_before == status_after
    beaten = churn.heartbeat(NODES["edge-0000-0"], 1)
    assert beaten != NODES["edge-0000-0"] and beaten["metadata"]["labels"] == NODES["edge-0000-0"]["metadata"]["labels"]


def test_both_modes_observe_the_same_children():
    units = nodeunits()
    by_nodes = churn.parents_for("Nodes", NODES, units, 2)
    by_units = churn.parents_for("NodeUnits", NODES, units, 2)
    assert [p.request["children"] for p in by_nodes[:-1]] == [p.request["children"] for p in by_units[:-1]]
    assert all(p.request_bytes > 0 for p in by_units)


def test_a_new_nodeunit_wakes_every_grid_reading_nodeunits():
    units = nodeunits()
    parents = churn.parents_for("NodeUnits", NODES, units, 4)
    newcomer = churn.stored(nodegroup_child("site-new"), "ng", None, None)
    assert [p.ref.split("/")[0] for p in churn.woken_by(parents, newcomer)] == ["DeploymentGrid", "StatefulSetGrid"] * 2


def nodegroup_child(unit: str) -> dict:
    grown = {**NODES, "new": churn.bench_node("new", unit, ready=True)}
    children = nodegroup.sync(churn.nodegroup_request(grown, [], {}), churn.STAMP)["children"]
    return next(c for c in children if c["spec"]["unit"] == unit)
