"""Rollouts for a fleet that is never all online, on a real cluster with Metacontroller.

A site goes offline the way an edge site does: its node's heartbeats and lease renewals stop (no kwok
manages it any more), and the node lifecycle controller marks it not Ready after the grace period. A new
revision that cannot start is a template whose pods cannot be scheduled. Skipped without Metacontroller,
like every scenario of the full loop; each is bounded by short deadlines (seconds, not minutes).
"""

from __future__ import annotations

import copy
import json

from e2e.cluster import Cluster
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.observe import audit_mark, child_writes, hold
from e2e.procs import poll
from e2e.scenario import (
    IMAGE,
    apply,
    bring_online,
    deployment_template,
    dg_condition,
    grid,
    group_nodes,
    owned,
    rollout_of,
    site_nodes,
    take_offline,
    unique,
    wait_ready,
)

NEW_IMAGE = "registry.k8s.io/echoserver:1.11"
NEWER_IMAGE = "registry.k8s.io/echoserver:1.12"
NOWHERE = {"op": "add", "path": "/spec/template/spec/nodeSelector", "value": {"e2e.example.com/no-such-node": "true"}}
"""An override patch that makes a unit's new pods unschedulable: its new revision cannot start."""
GRID_SELECTOR = "superedge.io/grid-selector"
REVISION_STATE = "superedge.io/revision-state"


def images(kube: Kube, namespace: str, name: str = "web") -> dict[str, str]:
    """site -> the image of the grid's Deployment there."""
    return {
        dep["metadata"]["name"].removeprefix(f"{name}-"): dep["spec"]["template"]["spec"]["containers"][0]["image"]
        for dep in owned(kube, "Deployment", namespace, name).values()
    }


def available(dep: dict) -> bool:
    """The Deployment's new pods run: current, every replica updated and available, no old pod left."""
    status = dep.get("status") or {}
    want = dep["spec"].get("replicas", 1)
    current = status.get("observedGeneration", 0) >= dep["metadata"]["generation"]
    done = min(status.get(f, 0) for f in ("updatedReplicas", "availableReplicas", "readyReplicas")) >= want
    return current and done and status.get("replicas", 0) <= status.get("updatedReplicas", 0)


def state(kube: Kube, namespace: str, name: str = "web") -> str | None:
    return rollout_of(kube, "DeploymentGrid", namespace, name).get("state")


def new_template(image: str) -> dict:
    return deployment_template("web", image=image)


def records(kube: Kube, namespace: str, name: str = "web") -> list[dict]:
    """The grid's ControllerRevisions, as `kubectl get controllerrevisions -l superedge.io/grid-selector=<grid>`
    lists them (the documented way), oldest first."""
    listed = kube.kubectl("-n", namespace, "get", "controllerrevisions", "-l", f"{GRID_SELECTOR}={name}", "-o", "json")
    return sorted(json.loads(listed.stdout)["items"], key=lambda r: r["revision"])


def test_offline_sites_are_deferred_then_catch_up_under_max_updating(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """12 sites in 3 steps, 2 of them offline during the rollout: the other 10 complete and the rollout says
    only offline sites are left; once back, the 2 catch up in their steps' order, never both on their way at
    once, and the rollout completes.

    The two come back one after the other, s04 (the wave) first: one kwok for both would bring them back in
    the same instant, and the grid may still see them in either order (two Node events), which is not what
    this scenario is about. An offline unit never holds its step, so s09 coming back first would move at once
    (the unit tests cover that order)."""
    key = unique("e2e-offline")
    sites = [f"s{i:02d}" for i in range(1, 13)]
    offline = ["s04", "s09"]  # one in the wave, one in the last step
    groups = {site: unique(f"offline-{site}") for site in offline}
    site_nodes(make_node, key, dict.fromkeys([s for s in sites if s not in offline], 1))
    try:
        nodes = {s: group_nodes(metacontroller, make_node, key, {s: 1}, groups[s])[s] for s in offline}
        _defer_then_catch_up(metacontroller, kube, namespace, key, sites, groups, nodes)
    finally:
        for group in groups.values():
            metacontroller.stop_kwok_group(group)


def offline_in_status(kube: Kube, namespace: str, site: str) -> bool:
    """Whether the grid's status says ``site`` is offline."""
    return bool((kube.get("DeploymentGrid", namespace, "web")["status"]["states"].get(site) or {}).get("offline"))


def _defer_then_catch_up(
    cluster: Cluster,
    kube: Kube,
    namespace: str,
    key: str,
    sites: list[str],
    groups: dict[str, str],
    nodes: dict[str, list[str]],
) -> None:
    offline = list(groups)
    rollout = {
        "progressDeadlineSeconds": 90,
        "offlineAfterSeconds": 10,
        "maxUpdating": 2,
        "steps": [{"name": "canary", "units": ["s01"]}, {"name": "wave", "units": ["s02", "s03", "s04", "s05"]}],
    }
    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web"), rollout=rollout))
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=12, timeout=180)

    for site in offline:
        take_offline(cluster, kube, groups[site], nodes[site])
    poll("the grid sees s04 and s09 offline", lambda: all(offline_in_status(kube, namespace, s) for s in offline), 60)
    kube.merge_patch("DeploymentGrid", namespace, "web", {"spec": {"template": new_template(NEW_IMAGE)}})
    poll("Rollout WaitingForOffline", lambda: state(kube, namespace) == "WaitingForOffline", 240)
    now = images(kube, namespace)
    assert {s for s, image in now.items() if image == NEW_IMAGE} == set(sites) - set(offline), now
    assert {now[s] for s in offline} == {IMAGE}
    status = rollout_of(kube, "DeploymentGrid", namespace, "web")
    assert status["deferred"] == offline and status["deferredUnits"] == 2, status
    condition = dg_condition(kube, namespace, "web", "Rollout")
    assert (
        condition["reason"] == "WaitingForOffline"
        and "only 2 offline unit(s) (s04, s09) left" in (condition["message"])
    )
    assert "WaitingForOffline" in kube.kubectl("-n", namespace, "get", "dg", "web").stdout  # the ROLLOUT column

    back = audit_mark(cluster)
    bring_online(cluster, kube, groups["s04"], nodes["s04"])
    poll("the grid sees s04 back", lambda: not offline_in_status(kube, namespace, "s04"), 60)
    bring_online(cluster, kube, groups["s09"], nodes["s09"])
    both_moving: list[str] = []

    def caught_up() -> bool:
        deps = owned(kube, "Deployment", namespace, "web")
        moving = [
            s for s in offline if deps[f"web-{s}"]["spec"]["template"]["spec"]["containers"][0]["image"] == NEW_IMAGE
        ]
        on_their_way = [s for s in moving if not available(deps[f"web-{s}"])]
        if len(on_their_way) > 1:
            both_moving.append(str(on_their_way))
        rollout = rollout_of(kube, "DeploymentGrid", namespace, "web")
        # Not done yet: say where each of them and the rollout stand, for the timeout's message.
        assert len(moving) == 2 and not on_their_way and rollout.get("state") == "Complete", (
            f"moved: {moving}, on their way: {on_their_way}, rollout: {rollout}, "
            f"their Deployments' status: { {s: deps[f'web-{s}'].get('status') for s in offline} }"
        )
        return True

    poll("s04 and s09 caught up, the rollout Complete", caught_up, 180, interval=0.5)
    assert not both_moving, f"both offline sites were on their way at once: {both_moving}"
    assert set(images(kube, namespace).values()) == {NEW_IMAGE}
    moved = [w.split()[1] for w in child_writes(back, namespace, frozenset({"deployments"})) if w.startswith("update")]
    assert moved.index("deployments/web-s04") < moved.index("deployments/web-s09"), moved  # the steps' order


def test_failures_within_the_budget_go_on_and_beyond_it_halt(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """maxFailedUnits 1: one site whose new pods cannot start fails and the rollout carries on to the end
    (Degraded); then a revision that two sites cannot start halts it, and the others keep their child."""
    key = unique("e2e-budget")
    site_nodes(make_node, key, {s: 1 for s in ("a", "b", "c", "d", "e")})
    rollout = {
        "progressDeadlineSeconds": 15,
        "maxFailedUnits": 1,
        "maxUpdating": 3,
        "steps": [{"name": "first", "units": ["a", "b"], "maxUpdating": 2}],
    }
    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web"), rollout=rollout))
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=5, timeout=120)

    one_fails = {"template": new_template(NEW_IMAGE), "overrides": [{"units": ["a"], "patch": [NOWHERE]}]}
    kube.merge_patch("DeploymentGrid", namespace, "web", {"spec": one_fails})
    poll("Rollout Degraded (a failed, within the budget)", lambda: state(kube, namespace) == "Degraded", 150)
    status = rollout_of(kube, "DeploymentGrid", namespace, "web")
    assert [f["unit"] for f in status["failed"]] == ["a"] and "halted" not in status, status
    assert set(images(kube, namespace).values()) == {NEW_IMAGE}  # every site moved, a stays on its new child
    assert kube.get("DeploymentGrid", namespace, "web")["status"]["states"]["a"]["failed"] is True

    two_fail = {"template": new_template(NEWER_IMAGE), "overrides": [{"units": ["a", "b"], "patch": [NOWHERE]}]}
    kube.merge_patch("DeploymentGrid", namespace, "web", {"spec": two_fail})
    poll("Rollout Halted (a and b failed, beyond the budget)", lambda: state(kube, namespace) == "Halted", 120)
    status = rollout_of(kube, "DeploymentGrid", namespace, "web")
    assert sorted(f["unit"] for f in status["failed"]) == ["a", "b"] and status["failedUnits"] == 2, status
    hold(
        "c, d and e keep the previous revision while halted",
        lambda: None if {images(kube, namespace)[s] for s in "cde"} == {NEW_IMAGE} else str(images(kube, namespace)),
        seconds=10,
    )
    assert "Halted" in kube.kubectl("-n", namespace, "get", "dg", "web").stdout


def test_a_failing_canary_is_rolled_back_and_the_rest_never_moved(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """onFailure Rollback: the canary's new pods cannot start; after the deadline the grid records the rollback
    on its ControllerRevision, the canary's Deployment gets the last completed revision's template back and
    its pods run it; the other sites are never written to. The grid's spec is not changed."""
    key = unique("e2e-rollback")
    site_nodes(make_node, key, {"alpha": 1, "beta": 1, "gamma": 1})
    rollout = {
        "progressDeadlineSeconds": 15,
        "onFailure": "Rollback",
        "steps": [{"name": "canary", "units": ["alpha"]}],
    }
    good = deployment_template("web")
    apply(kube, grid("DeploymentGrid", "web", namespace, key, good, rollout=rollout))
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=3)
    poll(
        "the first revision recorded as Completed",
        lambda: [r["metadata"]["labels"].get(REVISION_STATE) for r in records(kube, namespace)] == ["Completed"],
        60,
    )
    before = owned(kube, "Deployment", namespace, "web")
    old_template = copy.deepcopy(before["web-alpha"]["spec"]["template"])

    mark = audit_mark(metacontroller)
    bad = new_template(NEW_IMAGE)
    bad["template"]["spec"]["nodeSelector"] = {"e2e.example.com/no-such-node": "true"}  # never schedulable
    kube.merge_patch("DeploymentGrid", namespace, "web", {"spec": {"template": bad}})
    poll("the canary on the new image", lambda: images(kube, namespace).get("alpha") == NEW_IMAGE, 30)
    poll("Rollout RolledBack", lambda: state(kube, namespace) == "RolledBack", 90)

    def canary_back() -> dict | None:
        dep = owned(kube, "Deployment", namespace, "web")["web-alpha"]
        return dep if dep["spec"]["template"] == old_template and available(dep) else None

    poll("the canary's Deployment back on the completed template, its pods running", canary_back, 60)
    pods = kube.list("Pod", namespace, {"matchLabels": {"app": "web", key: "alpha"}})
    running = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    assert running and all(p["spec"]["containers"][0]["image"] == IMAGE for p in running), running
    assert all(p["spec"].get("nodeSelector", {}).get("e2e.example.com/no-such-node") is None for p in running)

    status = kube.get("DeploymentGrid", namespace, "web")["status"]
    assert status["rollout"]["rolledBackUnits"] == 1 and status["states"]["alpha"]["rolledBack"] is True, status
    assert [r["metadata"]["labels"].get(REVISION_STATE) for r in records(kube, namespace)] == [
        "Completed",
        "RolledBack",
    ]
    condition = dg_condition(kube, namespace, "web", "Rollout")
    assert condition["reason"] == "RolledBack" and "1 unit(s) failed (alpha)" in condition["message"], condition
    assert "RolledBack" in kube.kubectl("-n", namespace, "get", "dg", "web").stdout
    written = child_writes(mark, namespace, frozenset({"deployments"}))
    assert not any("web-beta" in w or "web-gamma" in w for w in written), written  # the rest never moved
    after = owned(kube, "Deployment", namespace, "web")
    for site in ("beta", "gamma"):
        assert after[f"web-{site}"]["metadata"]["generation"] == before[f"web-{site}"]["metadata"]["generation"]
    assert kube.get("DeploymentGrid", namespace, "web")["spec"]["template"] == bad  # the hooks never write the spec


def test_controller_revisions_are_pruned_to_the_limit(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """revisionHistoryLimit 2: after four revisions, the current one and the two before it are kept."""
    key = unique("e2e-history")
    site_nodes(make_node, key, {"alpha": 1})
    tags = ["1.10", "1.11", "1.12", "1.13"]
    for n, tag in enumerate(tags):
        template = deployment_template("web", image=f"registry.k8s.io/echoserver:{tag}")
        apply(kube, grid("DeploymentGrid", "web", namespace, key, template, revisionHistoryLimit=2))
        wait_ready(kube, "DeploymentGrid", namespace, "web", units=1)
        poll(
            f"revision {n + 1} recorded and completed",
            lambda n=n: any(
                r["revision"] == n + 1 and r["metadata"]["labels"].get(REVISION_STATE) == "Completed"
                for r in records(kube, namespace)
            ),
            60,
        )

    def pruned() -> list[dict] | None:
        kept = records(kube, namespace)
        return kept if len(kept) == 3 else None

    kept = poll("the history pruned to 3 records", pruned, 60)
    assert [r["revision"] for r in kept] == [2, 3, 4]
    assert kept[-1]["data"]["spec"]["template"]["template"]["spec"]["containers"][0]["image"].endswith(":1.13")
    assert all(r["metadata"]["ownerReferences"][0]["kind"] == "DeploymentGrid" for r in kept)


def test_a_patch_path_missing_in_every_unit_shows_the_rollout_stuck(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """The trial's bug: an override whose patch path does not exist used to leave the rollout Progressing for
    ever; the ROLLOUT column now says Stuck, the condition names the units, and every child is kept."""
    key = unique("e2e-stuck")
    site_nodes(make_node, key, {"alpha": 1, "beta": 1})
    rollout = {"progressDeadlineSeconds": 60, "steps": [{"name": "canary", "units": ["alpha"]}]}
    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web"), rollout=rollout))
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=2)
    missing = {"op": "add", "path": "/spec/template/spec/nodeSelector/example.com~1zone", "value": "x"}
    kube.merge_patch(
        "DeploymentGrid",
        namespace,
        "web",
        {"spec": {"template": new_template(NEW_IMAGE), "overrides": [{"patch": [missing]}]}},
    )
    poll("Rollout Stuck", lambda: state(kube, namespace) == "Stuck", 60)
    condition = dg_condition(kube, namespace, "web", "Rollout")
    assert condition["message"].startswith("the step cannot complete: alpha cannot be rendered"), condition
    assert "Stuck" in kube.kubectl("-n", namespace, "get", "dg", "web").stdout
    assert set(images(kube, namespace).values()) == {IMAGE}  # every child kept
