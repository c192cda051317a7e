"""Per-site autoscaling with the real HPA controller (kube-controller-manager's), fed per-site external
metrics through the API server's aggregation layer (e2e/metrics_api.py).

One scenario, in phases, on three sites (gamma opted out): raising one site's metric scales only that
site; a template change rolled out site by site, then 60 s of heartbeat resyncs, never move an autoscaled
site's replicas; a site whose autoscaler cannot read its metric shows in the grid and in the NodeGroup;
switching autoscaling off and on on the live grid takes every site straight to its new number, never
below. Throughout, the audit log's bodies prove that no write by Metacontroller changed ``spec.replicas``
of an autoscaled Deployment.

Skipped without Metacontroller, like every scenario of the full loop.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest

from e2e.cluster import METACONTROLLER_USER, Cluster
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.metrics_api import ExternalMetrics
from e2e.observe import audit_mark, child_writes, hold, hook_calls, hooks_mark, replica_writes, replicas_changed_by
from e2e.procs import poll
from e2e.scenario import apply, deployment_template, dg_condition, grid, node_group, site_nodes, unique, wait_ready

METRIC = "queue_depth"
TARGET = 10  # average value per pod: a metric of 50 asks for 5 replicas
NEW_IMAGE = "registry.k8s.io/echoserver:1.11"
SITES = ("alpha", "beta", "gamma")
AUTOSCALED = ("web-alpha", "web-beta")
CHILDREN = frozenset({"deployments", "horizontalpodautoscalers"})


@pytest.fixture(scope="module")
def metrics(metacontroller: Cluster, kube: Kube) -> Iterator[ExternalMetrics]:
    """The external metrics API, registered with the API server for this module's scenarios."""
    namespace = f"e2e-metrics-{secrets.token_hex(3)}"
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    server = ExternalMetrics(metacontroller, namespace, (METRIC,)).start()
    try:
        server.install(kube)
        yield server
    finally:
        server.uninstall(kube)
        server.stop()
        kube.delete("Namespace", None, namespace)


def autoscaling(**fields: object) -> dict:
    metric = {
        "type": "External",
        "external": {
            "metric": {"name": METRIC, "selector": {"matchLabels": {"site": "{{unit}}"}}},
            "target": {"type": "AverageValue", "averageValue": str(TARGET)},
        },
    }
    return {"minReplicas": 2, "maxReplicas": 8, "metrics": [metric], **fields}


def replicas(kube: Kube, namespace: str) -> dict[str, int]:
    return {d["metadata"]["name"]: d["spec"]["replicas"] for d in kube.list("Deployment", namespace)}


def hpas(kube: Kube, namespace: str) -> dict[str, dict]:
    return {h["metadata"]["name"]: h for h in kube.list("HorizontalPodAutoscaler", namespace)}


def wait_replicas(kube: Kube, namespace: str, want: dict[str, int], timeout: float = 90) -> None:
    poll(f"replicas {want}", lambda: replicas(kube, namespace) == want, timeout, interval=1)


def keeps(kube: Kube, namespace: str, want: dict[str, int]):
    def check() -> str | None:
        now = replicas(kube, namespace)
        return None if now == want else f"replicas {now}, expected {want}"

    return check


def rolled_out(kube: Kube, namespace: str, timeout: float = 180) -> None:
    def done() -> bool:
        grid_obj = kube.get("DeploymentGrid", namespace, "web")
        current = (grid_obj.get("status") or {}).get("observedGeneration") == grid_obj["metadata"]["generation"]
        rollout = dg_condition(kube, namespace, "web", "Rollout")
        return current and rollout.get("reason") == "Complete" and (grid_obj["status"].get("readyUnits") == 3)

    poll("the rollout complete on 3 ready units", done, timeout, interval=1)


def no_replicas_changed_by_metacontroller(start, namespace: str) -> int:
    """Assert the audit log shows no write by Metacontroller that changed an autoscaled Deployment's replicas
    since ``start``; returns how many of its writes there were to them (each replayed)."""
    writes = replica_writes(start, namespace)
    changed = [c for name in AUTOSCALED for c in replicas_changed_by(METACONTROLLER_USER, writes.get(name, []))]
    assert changed == [], changed
    return sum(1 for n in AUTOSCALED for w in writes.get(n, []) if w.user == METACONTROLLER_USER and w.verb != "create")


def passes_through(start, namespace: str, name: str) -> list[int]:
    """Every value ``name``'s spec.replicas took since ``start`` (audit log, in resourceVersion order)."""
    return [w.replicas for w in replica_writes(start, namespace).get(name, [])]


def test_each_site_scales_alone_and_metacontroller_never_changes_autoscaled_replicas(
    metrics: ExternalMetrics, metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    key = unique("e2e-hpa")
    site_nodes(make_node, key, dict.fromkeys(SITES, 1))
    apply(kube, node_group(key))
    try:
        _scenario(metrics, metacontroller, kube, namespace, key)
    finally:
        kube.delete("NodeGroup", None, key)


def _scenario(metrics: ExternalMetrics, metacontroller: Cluster, kube: Kube, namespace: str, key: str) -> None:
    begin = audit_mark(metacontroller)
    rollout = {"steps": [{"name": "canary", "units": ["alpha"]}], "maxUpdating": 1}
    opt_out = [{"units": ["gamma"], "autoscaling": {"mode": "Disabled"}}]
    spec = {"autoscaling": autoscaling(), "overrides": opt_out, "rollout": rollout}
    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web", replicas=2), **spec))

    # 1. Created autoscaled: one HPA per autoscaled site, each brings its site to minReplicas.
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=3)
    assert sorted(hpas(kube, namespace)) == list(AUTOSCALED)
    wait_replicas(kube, namespace, {"web-alpha": 2, "web-beta": 2, "web-gamma": 2})

    # 2. One site's load rises: only that site scales.
    metrics.set(METRIC, "site=alpha", 5 * TARGET)
    scaled = {"web-alpha": 5, "web-beta": 2, "web-gamma": 2}
    poll(
        "web-alpha scaled to 5 by its HPA, the other sites unchanged",
        lambda: _only_alpha_moves(replicas(kube, namespace), scaled),
        90,
        interval=1,
    )
    poll("the grid's status shows alpha's HPA at 5", lambda: _alpha_state(kube, namespace, 5), 60, interval=1)

    # 3. A template change, rolled out site by site (canary alpha first): the autoscaled numbers stay.
    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web", 2, NEW_IMAGE), **spec))
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and dg_condition(kube, namespace, "web", "Rollout").get("reason") != "Complete":
        assert replicas(kube, namespace) == scaled
        time.sleep(1)
    rolled_out(kube, namespace)
    assert replicas(kube, namespace) == scaled

    # 4. 60 s of heartbeats: every one resyncs the grid (siteSource Nodes); nothing moves.
    calls, quiet = hooks_mark(metacontroller), audit_mark(metacontroller)
    hold("autoscaled replicas during heartbeat resyncs", keeps(kube, namespace, scaled), seconds=60)
    resyncs = len(hook_calls(calls, "deploymentgrid/sync", name="web", namespace=namespace))
    assert resyncs >= 5, f"only {resyncs} syncs in 60 s of heartbeats"
    assert child_writes(quiet, namespace, CHILDREN) == [], "heartbeat resyncs wrote children"
    writes = no_replicas_changed_by_metacontroller(begin, namespace)
    print(f"\nMetacontroller writes to autoscaled Deployments so far: {writes}; syncs in 60 s: {resyncs}")

    # 5. beta's autoscaler cannot read its metric: the grid and the NodeGroup say so; beta keeps its pods.
    broken = [*opt_out, {"units": ["beta"], "autoscaling": {"metrics": [_metric("no_such_metric")]}}]
    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web", 2, NEW_IMAGE),
                     **{**spec, "overrides": broken}))  # fmt: skip
    poll("the grid reports beta cannot scale", lambda: _cannot_scale(kube, namespace) == ["beta"], 90, interval=1)
    poll("the NodeGroup counts beta", lambda: _nodegroup_unable(kube, key) == {"beta": 1}, 90, interval=1)
    print(kube.kubectl("-n", namespace, "get", "dg", "web", "-o", "wide").stdout)
    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web", 2, NEW_IMAGE), **spec))
    poll("beta can scale again", lambda: _cannot_scale(kube, namespace) == [], 90, interval=1)
    no_replicas_changed_by_metacontroller(begin, namespace)

    # 6. Autoscaling off (template now 3): each site goes straight from its number to 3, its HPA removed.
    off = audit_mark(metacontroller)
    manual = {"overrides": opt_out, "rollout": rollout}
    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web", 3, NEW_IMAGE), **manual))
    wait_replicas(kube, namespace, {"web-alpha": 3, "web-beta": 3, "web-gamma": 3}, timeout=180)
    poll("the HPAs removed", lambda: hpas(kube, namespace) == {}, 60, interval=1)
    assert set(passes_through(off, namespace, "web-alpha")) <= {5, 3}
    assert set(passes_through(off, namespace, "web-beta")) <= {2, 3}

    # 7. Autoscaling on again on the live grid, loads for 5 and 3: never below the 3 each site has.
    on = audit_mark(metacontroller)
    metrics.set(METRIC, "site=beta", 3 * TARGET)
    apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web", 3, NEW_IMAGE), **spec))
    wait_replicas(kube, namespace, {"web-alpha": 5, "web-beta": 3, "web-gamma": 3}, timeout=180)
    rolled_out(kube, namespace)
    hold("replicas after switching on", keeps(kube, namespace, {"web-alpha": 5, "web-beta": 3, "web-gamma": 3}), 20)
    for name in AUTOSCALED:
        assert min(passes_through(on, namespace, name) or [3]) >= 3, (name, passes_through(on, namespace, name))
    writes = no_replicas_changed_by_metacontroller(on, namespace)
    print(f"Metacontroller writes to autoscaled Deployments after switching on: {writes}")


def _metric(name: str) -> dict:
    return {
        **autoscaling()["metrics"][0],
        "external": {**autoscaling()["metrics"][0]["external"], "metric": {"name": name}},
    }


def _only_alpha_moves(now: dict[str, int], want: dict[str, int]) -> bool:
    """True once ``want`` is reached; fails at once if a site other than alpha moves meanwhile."""
    others = {k: v for k, v in now.items() if k != "web-alpha"}
    assert others == {k: v for k, v in want.items() if k != "web-alpha"}, f"another site moved: {now}"
    return now == want


def _alpha_state(kube: Kube, namespace: str, count: int) -> bool:
    status = kube.get("DeploymentGrid", namespace, "web").get("status") or {}
    state = ((status.get("states") or {}).get("alpha") or {}).get("autoscaling") or {}
    return state.get("currentReplicas") == count and (status.get("autoscaling") or {}).get("state") == "Active"


def _cannot_scale(kube: Kube, namespace: str) -> list[str] | None:
    status = (kube.get("DeploymentGrid", namespace, "web").get("status") or {}).get("autoscaling") or {}
    return status.get("unableToScale", []) if status.get("state") in ("CannotScale", "Active") else None


def _nodegroup_unable(kube: Kube, key: str) -> dict[str, int]:
    units = (kube.get("NodeGroup", None, key).get("status") or {}).get("nodeUnits") or {}
    return {u: e["unableToScaleWorkloads"] for u, e in units.items() if e.get("unableToScaleWorkloads")}
