"""Grids reading NodeSummaries (``siteSource: NodeSummaries``) on the real control plane.

What only the cluster shows: that Metacontroller keeps one summary per Node through the two decorators and
writes it on no heartbeat (the heartbeats reach only the ready mark decorator, which writes nothing either),
that a summary still follows its Node's readiness when the Node goes offline and comes back (the summary
decorator ignores status posts: the ready mark's annotation is what wakes it), that a grid reading summaries
is never woken by heartbeats yet follows sites coming and going (a deleted Node's summary goes with it through
the garbage collector), and that switching a grid to summaries while some are still missing loses no child.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from e2e.cluster import Cluster
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.manifests import node_summary_decorators
from e2e.observe import Mark, audit_mark, child_writes, hold, hook_calls, hooks_mark, wait_quiet
from e2e.procs import poll
from e2e.scenario import (
    apply,
    bring_online,
    condition_of,
    deployment_template,
    dg_condition,
    grid,
    group_nodes,
    owned,
    site_nodes,
    take_offline,
    uids,
    unique,
    wait_children,
    wait_ready,
)

DECORATOR = "servicegroup-nodesummary"
MARK_DECORATOR = "servicegroup-nodeready"
SUMMARISED = "superedge.io/unit-summarised"
READY_ANNOTATION = "superedge.io/node-ready"


@pytest.fixture(scope="module", autouse=True)
def summary_decorators(metacontroller: Cluster, kube: Kube) -> Iterator[None]:
    """Installed for this module's scenarios only, as a user would: other modules run without them."""
    apply(kube, *node_summary_decorators(metacontroller.hook_url))
    yield
    kube.kubectl("delete", "decoratorcontroller", DECORATOR, MARK_DECORATOR, "--ignore-not-found")


def summary(kube: Kube, node: str) -> dict | None:
    return kube.get_or_none("NodeSummary", None, node)


def ready_mark(kube: Kube, node: str) -> str | None:
    """The ready mark decorator's annotation on the Node (None while it has none)."""
    return kube.get("Node", None, node)["metadata"].get("annotations", {}).get(READY_ANNOTATION)


def node_ready(kube: Kube, name: str) -> dict:
    """The Node's Ready condition as its summary records it."""
    cond = condition_of(kube.get("Node", None, name), "Ready")
    return {"status": cond["status"], "lastTransitionTime": cond["lastTransitionTime"]}


def writes_to(start: Mark, resource: str, names: set[str]) -> list[str]:
    """Metacontroller's writes to the cluster-scoped ``resource`` objects named ``names`` since ``start``."""
    return [w for w in child_writes(start, None, frozenset({resource})) if w.split()[1].split("/")[1] in names]


def summary_writes(start: Mark, names: set[str]) -> list[str]:
    """Metacontroller's writes to the summaries of ``names`` since ``start`` (audit log)."""
    return writes_to(start, "nodesummaries", names)


def marked(child: dict) -> bool:
    return child["metadata"].get("annotations", {}).get(SUMMARISED) == "true"


def test_a_grid_reading_summaries_follows_sites_and_sleeps_through_heartbeats(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    key = unique("e2e-sum")
    made = site_nodes(make_node, key, {"alpha": 1, "beta": 1})
    names = {n for ns in made.values() for n in ns}
    poll("a summary of each node", lambda: all(summary(kube, n) for n in names), 60)
    node = kube.get("Node", None, made["alpha"][0])
    found = summary(kube, made["alpha"][0])
    assert found["metadata"]["labels"] == node["metadata"]["labels"]
    assert found["spec"]["ready"]["status"] == "True"
    assert [r["kind"] for r in found["metadata"]["ownerReferences"]] == ["Node"]

    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web"), siteSource="NodeSummaries"))
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=2)
    before = uids(wait_children(kube, "Deployment", namespace, "web", {"web-alpha", "web-beta"}))
    assert all(marked(d) for d in owned(kube, "Deployment", namespace, "web").values())

    beat = metacontroller.options.heartbeat_seconds
    wait_quiet(metacontroller, "deploymentgrid/sync", "web", namespace, quiet_for=2 * beat + 2, timeout=60)
    calls, audit = hooks_mark(metacontroller), audit_mark(metacontroller)
    window = max(20.0, 4 * beat)
    hold(
        "no sync of the grid reading summaries",
        lambda: "woken" if hook_calls(calls, "deploymentgrid/sync", name="web", namespace=namespace) else None,
        window,
    )
    posts = hook_calls(calls, "nodeready/sync", name=frozenset(names))
    summary_calls = hook_calls(calls, "nodesummary/sync", name=frozenset(names))
    print(f"in {window:.0f} s: {len(posts)} ready mark calls for the 2 nodes, {len(summary_calls)} summary calls")
    assert len(posts) >= 2, "no heartbeat reached the ready mark decorator: nothing was tested"
    assert summary_calls == [], "a heartbeat woke the summary decorator (each call reads every summary)"
    assert summary_writes(audit, names) == [], "a heartbeat wrote a summary"
    assert writes_to(audit, "nodes", names) == [], "a heartbeat made Metacontroller write a Node"

    (gamma,) = site_nodes(make_node, key, {"gamma": 1})["gamma"]
    wait_children(kube, "Deployment", namespace, "web", {"web-alpha", "web-beta", "web-gamma"})
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=3)
    kube.delete("Node", None, gamma)
    poll("gamma's summary gone with its node", lambda: summary(kube, gamma) is None, 60)
    kept = wait_children(kube, "Deployment", namespace, "web", {"web-alpha", "web-beta"})
    assert uids(kept) == before


def test_switching_to_summaries_before_they_exist_keeps_every_child(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """With the decorator deleted (its summaries stay), a site joins and gets its child from a grid reading
    Nodes; the grid then switches to summaries, which that site does not have yet: its child stays as it is
    until the decorator is back and writes its summary, and no child is deleted or re-created at any point."""
    key = unique("e2e-switch")
    made = site_nodes(make_node, key, {"alpha": 1})
    poll("alpha's summary", lambda: summary(kube, made["alpha"][0]) is not None, 60)
    kube.kubectl("delete", "decoratorcontroller", DECORATOR)
    try:
        # Metacontroller stops a deleted decorator without deleting what it made (v4.17.2 Stop()).
        hold("alpha's summary kept", lambda: None if summary(kube, made["alpha"][0]) else "deleted", 5)
        (beta,) = site_nodes(make_node, key, {"beta": 1})["beta"]
        apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web")))
        wait_ready(kube, "DeploymentGrid", namespace, "web", units=2)
        before = uids(wait_children(kube, "Deployment", namespace, "web", {"web-alpha", "web-beta"}))
        assert summary(kube, beta) is None, "the decorator still ran: nothing would be tested"

        apply(
            kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web"), siteSource="NodeSummaries")
        )

        def kept_unlisted() -> dict | None:
            obj = kube.get("DeploymentGrid", namespace, "web")
            current = obj.get("status", {}).get("observedGeneration") == obj["metadata"]["generation"]
            return obj if current and condition_of(obj, "Synced").get("reason") == "UnitsWithoutNodeSummary" else None

        obj = poll("Synced=False UnitsWithoutNodeSummary", kept_unlisted, 60)
        assert "beta" in condition_of(obj, "Synced")["message"]
        hold(
            "both children kept",
            lambda: None if uids(owned(kube, "Deployment", namespace, "web")) == before else "changed",
            10,
        )
    finally:
        apply(kube, *node_summary_decorators(metacontroller.hook_url))
    poll("beta's summary written by the decorator", lambda: summary(kube, beta) is not None, 60)
    poll("Synced=True", lambda: dg_condition(kube, namespace, "web", "Synced").get("status") == "True", 60)
    after = owned(kube, "Deployment", namespace, "web")
    assert uids(after) == before
    assert all(marked(d) for d in after.values())


def test_a_summary_follows_its_node_offline_and_back(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory
) -> None:
    """The summary decorator ignores status posts, so a Node going not Ready reaches its summary only through
    the ready mark's annotation: offline and back, the summary must say so each time."""
    key = unique("e2e-mark")
    group = unique("mark")
    try:
        (node,) = group_nodes(metacontroller, make_node, key, {"alpha": 1}, group)["alpha"]

        def summary_says(status: str) -> dict | None:
            found = summary(kube, node)
            return found if found and found["spec"].get("ready", {}).get("status") == status else None

        ready = poll("the summary says Ready", lambda: summary_says("True"), 60)
        since = ready["spec"]["ready"]["lastTransitionTime"]
        poll("the ready mark on the node", lambda: ready_mark(kube, node) == f"True {since}", 60)

        take_offline(metacontroller, kube, group, [node])
        poll("the summary says not Ready", lambda: summary_says("Unknown") or summary_says("False"), 60)
        assert summary(kube, node)["spec"]["ready"] == node_ready(kube, node)

        bring_online(metacontroller, kube, group, [node])
        poll("the summary says Ready again", lambda: summary_says("True"), 60)
        # (kwok gives the condition back its first transition time: the summary must show the Node's.)
        poll("the summary as the node", lambda: summary(kube, node)["spec"]["ready"] == node_ready(kube, node), 30)
    finally:
        metacontroller.stop_kwok_group(group)


def test_upgrading_from_the_single_decorator_keeps_every_summary(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory
) -> None:
    """Before the ready mark, the summary decorator alone saw every status post (no ignoreStatusChanges).
    Applying the two decorators over it keeps every summary (none deleted or re-created) and marks every Node."""
    mark_doc, summary_doc = node_summary_decorators(metacontroller.hook_url)
    previous = copy.deepcopy(summary_doc)
    for rule in previous["spec"]["resources"]:
        rule.pop("ignoreStatusChanges")
    kube.kubectl("delete", "decoratorcontroller", DECORATOR, MARK_DECORATOR)
    try:
        apply(kube, previous)
        made = site_nodes(make_node, unique("e2e-upgrade"), {"alpha": 1, "beta": 1})
        names = {n for ns in made.values() for n in ns}
        poll("a summary of each node", lambda: all(summary(kube, n) for n in names), 60)
        before = {n: summary(kube, n)["metadata"]["uid"] for n in names}
        audit = audit_mark(metacontroller)
    finally:
        apply(kube, mark_doc, summary_doc)
    poll("the ready mark on every node", lambda: all(ready_mark(kube, n) for n in names), 60)
    assert {n: summary(kube, n)["metadata"]["uid"] for n in names} == before
    assert not [w for w in summary_writes(audit, names) if w.startswith("delete")]
