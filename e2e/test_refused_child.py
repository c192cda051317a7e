"""A child the API server refuses shows in the grid's status, on a real cluster.

The hook cannot see the refusal itself; Metacontroller only records a SyncError event. The revision stamp
on each child tells the next sync that the observed child is not what was rendered, and the grid's status
remembers since when (hooks/grids/applied.py): the unit is named once that is GRACE_SECONDS old. The unit
keeps running its previous child, so it stays ready.
"""

from __future__ import annotations

from e2e.cluster import Cluster
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.procs import poll
from e2e.scenario import apply, deployment_template, dg_condition, grid, owned, site_nodes, unique, wait_ready
from hooks.grids.applied import GRACE_SECONDS

# Valid on its own, so the hook renders it; the API server refuses a request above its limit.
REQUESTS_OVER_LIMITS = [
    {
        "op": "add",
        "path": "/spec/template/spec/containers/0/resources",
        "value": {"requests": {"cpu": "200m"}, "limits": {"cpu": "100m"}},
    }
]


def synced(kube: Kube, namespace: str) -> dict:
    return dg_condition(kube, namespace, "web", "Synced")


def test_a_refused_child_is_named_in_synced_and_its_site_keeps_its_old_child(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    key = unique("e2e-refused")
    site_nodes(make_node, key, {"alpha": 1, "beta": 1})
    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web")))
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=2)
    before = owned(kube, "Deployment", namespace, "web")["web-beta"]["metadata"]["resourceVersion"]

    overrides = [{"units": ["beta"], "patch": REQUESTS_OVER_LIMITS}]
    kube.merge_patch("DeploymentGrid", namespace, "web", {"spec": {"overrides": overrides}})
    condition = poll(
        "Synced=False, ChildrenNotApplied",
        lambda: (c := synced(kube, namespace)).get("reason") == "ChildrenNotApplied" and c,
        GRACE_SECONDS + 45,
    )
    assert "beta" in condition["message"] and "alpha" not in condition["message"], condition
    status = kube.get("DeploymentGrid", namespace, "web")["status"]
    assert list(status["notAppliedSince"]) == ["beta"], status
    assert status["states"]["beta"]["ready"] is True and status["states"]["alpha"]["ready"] is True
    assert owned(kube, "Deployment", namespace, "web")["web-beta"]["metadata"]["resourceVersion"] == before
    events = kube.list("Event", namespace)
    assert any(e.get("reason") == "SyncError" and e["involvedObject"]["name"] == "web" for e in events), events

    kube.merge_patch("DeploymentGrid", namespace, "web", {"spec": {"overrides": None}})  # fixed: synced again
    poll("Synced=True", lambda: synced(kube, namespace).get("status") == "True", 60)
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=2)
