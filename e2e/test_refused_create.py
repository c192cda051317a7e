"""A child the API server refuses to create is named in the grid's status within the documented bound, and a
normal creation raises no false alarm, on a real cluster.

Metacontroller tells the hook nothing about a refused create; the grid's status remembers what the hook asked
for (``status.applying``, then ``status.notAppliedSince``) and names a unit GRACE_SECONDS after
Metacontroller applied it (hooks/grids/applied.py, docs/reference.md "Children not applied").
"""

from __future__ import annotations

import datetime as dt
import time
from itertools import pairwise

from e2e.cluster import Cluster
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.observe import Mark, audit_mark, child_writes, hold, hook_calls, hooks_mark, status_writes, wait_unwritten
from e2e.procs import poll
from e2e.scenario import (
    WORKLOADS,
    apply,
    deployment_template,
    dg_condition,
    grid,
    node_group,
    nodeunit_count,
    owned,
    site_nodes,
    unique,
    wait_ready,
)
from hooks.grids.applied import GRACE_SECONDS, RETRY_SECONDS

QUOTA = "deployments"
SITES = ["alpha", "beta", "gamma"]
BOUND = GRACE_SECONDS + 15
"""The documented bound for a grid of a few sites: the grace period after the sync that sent the child, plus
the seconds Metacontroller takes to apply that sync and to run the next one (docs/reference.md)."""


def seconds(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def quota(namespace: str, deployments: int) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": QUOTA, "namespace": namespace},
        "spec": {"hard": {"count/deployments.apps": str(deployments)}},
    }


def quota_enforced(kube: Kube, namespace: str, deployments: int) -> None:
    """Wait until the quota controller has published the limit (admission refuses every create before)."""
    poll(
        f"ResourceQuota {QUOTA} enforcing {deployments} Deployments",
        lambda: (
            (kube.get("ResourceQuota", namespace, QUOTA).get("status") or {})
            .get("hard", {})
            .get("count/deployments.apps")
            == str(deployments)
        ),
        30,
    )


def refused_then_raised(kube: Kube, namespace: str, key: str, **spec: object) -> float:
    """A grid over the three sites under a quota of 2 Deployments: one site is named within the bound, the two
    others run; the quota is raised: every site runs and ``Synced`` is True. Returns the seconds from raising
    the quota to ``Synced=True``."""
    kube.create(quota(namespace, 2))
    quota_enforced(kube, namespace, 2)
    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web"), **spec))

    synced = poll(
        "Synced=False, ChildrenNotApplied",
        lambda: (c := dg_condition(kube, namespace, "web", "Synced")).get("reason") == "ChildrenNotApplied" and c,
        BOUND + 30,
    )
    stored = kube.get("DeploymentGrid", namespace, "web")
    status = stored["status"]
    refused = sorted(status["notAppliedSince"])
    assert len(refused) == 1 and refused[0] in SITES, status
    (site,) = refused
    landed = set(SITES) - {site}
    assert set(owned(kube, "Deployment", namespace, "web")) == {f"web-{u}" for u in landed}
    assert f": {site} (since when" in synced["message"], synced
    # never before the grace period (hook clock), and within the bound of the grid's creation (API server clock)
    flipped = seconds(synced["lastTransitionTime"])
    assert flipped - seconds(status["notAppliedSince"][site]) >= GRACE_SECONDS, status
    took = flipped - seconds(stored["metadata"]["creationTimestamp"])
    print(f"refused child named {took:.0f} s after the grid was created (bound {BOUND} s)")
    assert took <= BOUND, (took, status)

    def admitted_ready() -> dict | None:
        now = kube.get("DeploymentGrid", namespace, "web")["status"]
        return now if all(now["states"][u].get("ready") for u in landed) else None

    running = poll("the two admitted sites ready", admitted_ready, 90)
    assert running["states"][site]["ready"] is False and running["readyUnits"] == 2
    events = kube.list("Event", namespace)
    assert any(e.get("reason") == "SyncError" and e["involvedObject"]["name"] == "web" for e in events), events

    raised = time.monotonic()
    kube.merge_patch("ResourceQuota", namespace, QUOTA, {"spec": {"hard": {"count/deployments.apps": "3"}}})
    quota_enforced(kube, namespace, 3)
    poll(
        "Synced=True",
        lambda: dg_condition(kube, namespace, "web", "Synced").get("status") == "True",
        RETRY_SECONDS + 30,
    )
    recovered = time.monotonic() - raised
    final = wait_ready(kube, "DeploymentGrid", namespace, "web", units=3)["status"]
    assert "applying" not in final and "notAppliedSince" not in final, final
    return recovered


def test_a_create_refused_by_a_quota_is_named_then_cleared_when_the_quota_is_raised_then_quiet(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    key = unique("e2e-quota")
    site_nodes(make_node, key, dict.fromkeys(SITES, 1))
    print(f"Synced=True {refused_then_raised(kube, namespace, key):.0f} s after the quota was raised")

    def found(since: Mark) -> list[str]:
        return status_writes(since, namespace, "deploymentgrids", "web") + child_writes(since, namespace, WORKLOADS)

    wait_unwritten(metacontroller, found)
    audit, calls = audit_mark(metacontroller), hooks_mark(metacontroller)
    hold("no status or child write", lambda: "; ".join(found(audit)) or None, 60)
    syncs = hook_calls(calls, "deploymentgrid/sync", name="web", namespace=namespace)
    assert syncs, "no sync of the grid in 60 s: heartbeats did not wake it, so the quiet proves nothing"
    print(f"quiet: {len(syncs)} syncs in 60 s, 0 status writes, 0 child writes")


def test_a_nodeunits_grid_sends_the_refused_child_again_once_the_quota_is_raised(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """No node heartbeat wakes a ``siteSource: NodeUnits`` grid: the resync asked for while a unit is named
    (every RETRY_SECONDS) sends the child again, instead of Metacontroller's backoff of up to 1,000 s."""
    key = unique("e2e-quota-nu")
    site_nodes(make_node, key, dict.fromkeys(SITES, 1))
    apply(kube, node_group(key))
    try:
        poll("3 NodeUnits", lambda: nodeunit_count(kube, key) == 3, 60)
        recovered = refused_then_raised(kube, namespace, key, siteSource="NodeUnits")
        print(f"NodeUnits grid: Synced=True {recovered:.0f} s after the quota was raised")
    finally:
        kube.delete("NodeGroup", None, key)


def test_a_normal_creation_over_ten_sites_raises_no_false_alarm(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """Sampled while the grid converges and past the grace period: Synced is True in every status stored,
    stamped with the grid's creation time (docs/decisions.md, "Condition times"), and the records are gone
    at the end. Ready's time is sampled too and any move backwards is reported (not excluded by design)."""
    key = unique("e2e-ten")
    units = [f"s{i:02d}" for i in range(10)]
    site_nodes(make_node, key, dict.fromkeys(units, 1))
    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web")))
    created = kube.get("DeploymentGrid", namespace, "web")["metadata"]["creationTimestamp"]
    ready_times: list[str] = []
    samples, records = 0, 0

    def sample() -> str | None:
        nonlocal samples, records
        status = kube.get("DeploymentGrid", namespace, "web").get("status") or {}
        samples += 1
        records += bool(status.get("applying") or status.get("notAppliedSince"))
        for c in status.get("conditions") or []:
            if c["type"] == "Ready" and (not ready_times or ready_times[-1] != c["lastTransitionTime"]):
                ready_times.append(c["lastTransitionTime"])
            if c["type"] == "Synced" and (c["status"], c["lastTransitionTime"]) != ("True", created):
                return f"Synced={c['status']} {c.get('reason')} at {c['lastTransitionTime']}: {c.get('message')}"
        return None

    hold("Synced True since the grid's creation in every sample", sample, GRACE_SECONDS + 20, interval=0.2)
    status = wait_ready(kube, "DeploymentGrid", namespace, "web", units=10)["status"]
    assert "applying" not in status and "notAppliedSince" not in status, status
    backwards = sum(1 for a, b in pairwise(ready_times) if seconds(b) < seconds(a))
    print(f"{samples} samples, {records} with records in flight; Ready times {ready_times}, {backwards} backwards")
