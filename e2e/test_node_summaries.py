"""Grids reading NodeSummaries (``siteSource: NodeSummaries``) on the real control plane.

What only the cluster shows: that Metacontroller keeps one summary per Node through the decorator and writes
it on no heartbeat, that a grid reading summaries is then never woken by heartbeats yet follows sites coming
and going (a deleted Node's summary goes with it through the garbage collector), and that switching a grid
to summaries while some are still missing loses no child.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from e2e.cluster import Cluster
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.manifests import node_summary_decorator
from e2e.observe import Mark, audit_mark, child_writes, hold, hook_calls, hooks_mark, wait_quiet
from e2e.procs import poll
from e2e.scenario import (
    apply,
    condition_of,
    deployment_template,
    dg_condition,
    grid,
    owned,
    site_nodes,
    uids,
    unique,
    wait_children,
    wait_ready,
)

DECORATOR = "servicegroup-nodesummary"
SUMMARISED = "superedge.io/unit-summarised"


@pytest.fixture(scope="module", autouse=True)
def summary_decorator(metacontroller: Cluster, kube: Kube) -> Iterator[None]:
    """Installed for this module's scenarios only, as a user would: other modules run without it."""
    apply(kube, node_summary_decorator(metacontroller.hook_url))
    yield
    kube.kubectl("delete", "decoratorcontroller", DECORATOR, "--ignore-not-found")


def summary(kube: Kube, node: str) -> dict | None:
    return kube.get_or_none("NodeSummary", None, node)


def summary_writes(start: Mark, names: set[str]) -> list[str]:
    """Metacontroller's writes to the summaries of ``names`` since ``start`` (audit log)."""
    return [w for w in child_writes(start, None, frozenset({"nodesummaries"})) if w.split()[1].split("/")[1] in names]


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
    posts = hook_calls(calls, "nodesummary/sync", name=frozenset(names))
    print(f"in {window:.0f} s: {len(posts)} summary decorator calls for the 2 nodes, 0 grid syncs")
    assert len(posts) >= 2, "no heartbeat reached the decorator: nothing was tested"
    assert summary_writes(audit, names) == [], "a heartbeat wrote a summary"

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
        apply(kube, node_summary_decorator(metacontroller.hook_url))
    poll("beta's summary written by the decorator", lambda: summary(kube, beta) is not None, 60)
    poll("Synced=True", lambda: dg_condition(kube, namespace, "web", "Synced").get("status") == "True", 60)
    after = owned(kube, "Deployment", namespace, "web")
    assert uids(after) == before
    assert all(marked(d) for d in after.values())
