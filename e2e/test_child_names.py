"""Child names on a real cluster with Metacontroller: grids sharing a long name prefix get their children apart,
and a child that exists under its 0.1.0 name keeps it when this version's hook server takes over."""

from __future__ import annotations

from e2e.cluster import Cluster
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.observe import audit_mark, child_writes
from e2e.scenario import apply, deployment_template, grid, owned, site_nodes, uids, unique, wait_children, wait_ready
from hooks.grids import workload_grid
from hooks.grids.workload import DEPLOYMENT
from hooks.kube.names import child_name, legacy_child_name
from tests.support.builders import NOW, sync_request
from tests.support.metacontroller_apply import as_created


def sync_errors(kube: Kube, namespace: str, name: str) -> list[str]:
    events = kube.list("Event", namespace)
    return [e["message"] for e in events if e.get("reason") == "SyncError" and e["involvedObject"]["name"] == name]


def test_grids_whose_names_share_58_characters_both_get_their_children(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """With the unit alone hashed, both grids named their child for a site alike and the second was refused."""
    key = unique("e2e-prefix")
    site_nodes(make_node, key, {"alpha": 1, "beta": 1})
    names = ["g" * 57 + "x", "g" * 57 + "y"]  # <grid>-alpha is 64 characters: both fall back to a hash
    apply(kube, *(grid("DeploymentGrid", n, namespace, key, deployment_template("web")) for n in names))
    for name in names:
        wait_ready(kube, "DeploymentGrid", namespace, name, units=2, timeout=90)
    children = {name: set(owned(kube, "Deployment", namespace, name)) for name in names}
    assert all(len(c) == 2 for c in children.values()) and not children[names[0]] & children[names[1]], children
    for name in names:
        assert not sync_errors(kube, namespace, name)


def test_a_child_under_its_0_1_0_name_keeps_it_when_the_new_hooks_take_over(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """The upgrade, reduced to what names decide: 0 creates, 0 deletes, the same objects afterwards."""
    key = unique("e2e-legacy")
    nodes = {
        name: make_node(name, {key: site})
        for name, site in ((unique("legacy-sh"), "Shanghai_01"), (unique("legacy-bj"), "beijing-02"))
    }
    metacontroller.stop_hooks()  # Metacontroller's syncs fail meanwhile: it changes nothing
    try:
        apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web")))
        stored = kube.get("DeploymentGrid", namespace, "web")
        rendered = workload_grid.sync(sync_request(stored, nodes), DEPLOYMENT, NOW)["children"]
        for child in rendered:  # as release 0.1.0 named and Metacontroller created them
            site = child["metadata"]["labels"][key]
            child["metadata"]["name"] = legacy_child_name("web", site)
            kube.create(as_created(child, stored))
        before = uids(owned(kube, "Deployment", namespace, "web"))
        assert set(before) == {"web-shanghai-01-1cfd3bca", "web-beijing-02"}
        start = audit_mark(metacontroller)
    finally:
        metacontroller.start_hooks()
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=2, timeout=120)
    writes = child_writes(start, namespace, frozenset({"deployments"}))
    assert not [w for w in writes if w.startswith(("create", "delete"))], writes
    assert len(writes) <= len(before), writes  # at most one update each (the revision stamp of the new version)
    print(f"\nMetacontroller's writes to the grid's Deployments when the new hooks took over: {writes}")
    assert uids(owned(kube, "Deployment", namespace, "web")) == before

    make_node(unique("legacy-z"), {key: "Zone_3"})  # a new site gets this version's name
    new = child_name("web", "Zone_3")
    assert new != legacy_child_name("web", "Zone_3")
    wait_children(kube, "Deployment", namespace, "web", {*before, new}, timeout=90)
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=3)
