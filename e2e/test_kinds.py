"""DaemonSetGrid, CronJobGrid and ConfigMapGrid with Metacontroller on a real control plane (skipped without
its binary).

kwok runs the pods of DaemonSets and Jobs like any other (its pod-complete stage finishes a Job's pods), and
kube-controller-manager runs the DaemonSet, Job and CronJob controllers (all its default controllers). Each
scenario has its own namespace and node label key; writes are counted in the audit log.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from e2e.cluster import METACONTROLLER_USER, Cluster
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.observe import Mark, audit_mark, child_writes, hold, hook_calls, hooks_mark, json_lines_since
from e2e.procs import poll
from e2e.scenario import IMAGE, apply, deployment_template, grid, owned, site_nodes, unique, wait_ready
from hooks.grids.config_refs import CONFIG_HASH_ANNOTATION, UnitConfigMap, config_hash, data_digest

KINDS_WRITES = frozenset({"deployments", "daemonsets", "cronjobs", "configmaps", "jobs"})
QUIET_SECONDS = 60


def pods_of(kube: Kube, namespace: str, app: str) -> list[dict]:
    return [p for p in kube.list("Pod", namespace, f"app={app}") if not p["metadata"].get("deletionTimestamp")]


def node_labels(kube: Kube, key: str) -> dict[str, str]:
    """Node name -> its value of ``key``, for the nodes that carry it."""
    return {
        n["metadata"]["name"]: n["metadata"]["labels"][key] for n in kube.list("Node") if key in n["metadata"]["labels"]
    }


def quiet(cluster: Cluster, namespace: str, hook: str, name: str) -> None:
    """60 s of node heartbeats with zero writes to any child in the namespace, and the grid synced meanwhile."""
    audit, calls = audit_mark(cluster), hooks_mark(cluster)
    hold(
        "no write to any child", lambda: "; ".join(child_writes(audit, namespace, KINDS_WRITES)) or None, QUIET_SECONDS
    )
    syncs = hook_calls(calls, hook, name=name, namespace=namespace)
    assert syncs, f"no {hook} call in {QUIET_SECONDS} s: heartbeats did not wake the grid, so the quiet proves nothing"


# ---- DaemonSetGrid -------------------------------------------------------------------------------------


def daemonset_template(app: str) -> dict:
    return {
        "selector": {"matchLabels": {"app": app}},
        "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": app, "image": IMAGE}]}},
    }


def test_daemonset_pods_run_on_their_sites_nodes_only_and_a_joining_node_gets_one(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """One DaemonSet per site; every pod on a node of its own site, one per node; a node that joins a site
    gets that site's pod; then quiet."""
    key = unique("e2e-ds")
    made = site_nodes(make_node, key, {"alpha": 1, "beta": 2})
    apply(kube, grid("DaemonSetGrid", "agent", namespace, key, daemonset_template("agent")))
    wait_ready(kube, "DaemonSetGrid", namespace, "agent", units=2)
    assert sorted(owned(kube, "DaemonSet", namespace, "agent")) == ["agent-alpha", "agent-beta"]

    def placed() -> dict[str, str] | None:
        """Pod node -> the site of the pod, when every pod is Running on a node of its own site."""
        sites = node_labels(kube, key)
        out = {}
        for pod in pods_of(kube, namespace, "agent"):
            node, site = pod["spec"].get("nodeName"), pod["metadata"]["labels"].get(key)
            assert node is None or sites.get(node) == site, f"{pod['metadata']['name']} ({site}) on {node}"
            if node is None or pod.get("status", {}).get("phase") != "Running":
                return None
            out[node] = site
        return out

    expected = {node: site for site, nodes in made.items() for node in nodes}
    poll("one agent pod on every node of both sites", lambda: placed() == expected, 60)

    joiner = unique(f"{key}-alpha-join")
    make_node(joiner, {key: "alpha"})
    poll("the joining node's pod", lambda: (placed() or {}).get(joiner) == "alpha", 60)

    def alpha_of_two() -> dict | None:
        alpha = states(kube, "DaemonSetGrid", namespace, "agent").get("alpha") or {}
        return alpha if alpha.get("desiredNumberScheduled") == 2 and alpha.get("ready") else None

    alpha = poll("the grid's alpha ready on two nodes", alpha_of_two, 60)
    assert alpha["numberReady"] == alpha["updatedNumberScheduled"] == 2, alpha
    wait_ready(kube, "DaemonSetGrid", namespace, "agent", units=2)
    assert placed() == {**expected, joiner: "alpha"}
    quiet(metacontroller, namespace, "daemonsetgrid/sync", "agent")


# ---- CronJobGrid ---------------------------------------------------------------------------------------


def cronjob_template(app: str) -> dict:
    return {
        "schedule": "* * * * *",
        "concurrencyPolicy": "Forbid",
        "successfulJobsHistoryLimit": 2,
        "jobTemplate": {
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "metadata": {"labels": {"app": app}},
                    "spec": {"restartPolicy": "Never", "containers": [{"name": app, "image": IMAGE}]},
                },
            }
        },
    }


def states(kube: Kube, kind: str, namespace: str, name: str) -> dict:
    return (kube.get(kind, namespace, name).get("status") or {}).get("states") or {}


def test_cronjobs_run_a_job_per_site_and_a_suspended_site_stops_alone(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """Every minute each site's CronJob runs a Job on that site's node, and the grid shows the last success;
    an override suspending one site stops its Jobs while the other site's go on; no write to a child meanwhile."""
    key = unique("e2e-cj")
    made = site_nodes(make_node, key, {"alpha": 1, "beta": 1})
    apply(kube, grid("CronJobGrid", "tick", namespace, key, cronjob_template("tick")))
    wait_ready(kube, "CronJobGrid", namespace, "tick", units=2)

    def succeeded() -> dict | None:
        now = states(kube, "CronJobGrid", namespace, "tick")
        return now if all(now.get(s, {}).get("lastSuccessfulTime") for s in ("alpha", "beta")) else None

    first = poll("a successful Job in both sites", succeeded, 150)
    for site in ("alpha", "beta"):
        assert first[site]["lastSuccessfulTime"] >= first[site]["lastScheduleTime"], first[site]
    for pod in kube.list("Pod", namespace, "app=tick"):  # every Job pod ran on its own site's node
        assert pod["spec"]["nodeName"] in made[pod["metadata"]["labels"][key]], pod["metadata"]["name"]
    jobs = kube.list("Job", namespace)
    assert {j["metadata"]["labels"][key] for j in jobs} == {"alpha", "beta"}

    kube.merge_patch("CronJobGrid", namespace, "tick", {"spec": {"overrides": [{"units": ["beta"], "suspend": True}]}})
    poll(
        "beta's CronJob suspended",
        lambda: owned(kube, "CronJob", namespace, "tick")["tick-beta"]["spec"].get("suspend") is True,
        30,
    )
    suspended_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    beta_before = states(kube, "CronJobGrid", namespace, "tick")["beta"].get("lastScheduleTime")
    audit = audit_mark(metacontroller)

    def alpha_ran_again() -> bool:
        return (states(kube, "CronJobGrid", namespace, "tick")["alpha"].get("lastScheduleTime") or "") > suspended_at

    poll("alpha's next Job after beta was suspended", alpha_ran_again, 90)
    poll("alpha's next success", lambda: succeeded() and succeeded()["alpha"]["lastSuccessfulTime"] > suspended_at, 60)
    now = states(kube, "CronJobGrid", namespace, "tick")
    assert now["beta"].get("lastScheduleTime") == beta_before, now["beta"]
    assert now["beta"].get("suspended") is True and now["beta"]["ready"] is True, now["beta"]
    late_beta = [
        j["metadata"]["name"]
        for j in kube.list("Job", namespace, f"{key}=beta")
        if j["metadata"]["creationTimestamp"] > suspended_at
    ]
    assert late_beta == [], f"Jobs of the suspended site: {late_beta}"
    assert child_writes(audit, namespace, frozenset({"cronjobs"})) == []  # the Jobs were the CronJob controller's


# ---- ConfigMapGrid -------------------------------------------------------------------------------------


SITES = ("alpha", "beta", "gamma")


def config_user_template(app: str, config: str) -> dict:
    template = deployment_template(app)
    pod = template["template"]["spec"]
    pod["containers"][0]["envFrom"] = [{"configMapRef": {"name": config}}]
    pod["containers"][0]["volumeMounts"] = [{"name": "config", "mountPath": "/etc/app"}]
    pod["volumes"] = [{"name": "config", "configMap": {"name": config}}]
    return template


def deployment_hash(dep: dict) -> str | None:
    return (dep["spec"]["template"]["metadata"].get("annotations") or {}).get(CONFIG_HASH_ANNOTATION)


def healthy(dep: dict) -> bool:
    """The rule the grid's readiness uses: current, every replica updated, ready and available, no old pod."""
    status, want = dep.get("status") or {}, dep["spec"].get("replicas", 1)
    current = status.get("observedGeneration", 0) >= dep["metadata"]["generation"]
    counts = [status.get(f, 0) for f in ("updatedReplicas", "readyReplicas", "availableReplicas")]
    return current and min(counts) >= want and status.get("replicas", 0) <= status.get("updatedReplicas", 0)


class Sites:
    """The scenario's view of one ConfigMapGrid ``conf`` and one DeploymentGrid ``web`` keyed by ``key``."""

    def __init__(self, kube: Kube, namespace: str, key: str) -> None:
        self.kube, self.namespace, self.key = kube, namespace, key

    def data_hashes(self) -> dict[str, str]:
        """Site -> the hash of that site's ConfigMap as the API server holds it now (what its pods mount)."""
        out = {}
        for cm in owned(self.kube, "ConfigMap", self.namespace, "conf").values():
            out[cm["metadata"]["labels"][self.key]] = config_hash(
                {"conf": UnitConfigMap(cm["metadata"]["name"], data_digest(cm))}
            )
        return out

    def deployments(self) -> dict[str, dict]:
        return {
            d["metadata"]["labels"][self.key]: d for d in owned(self.kube, "Deployment", self.namespace, "web").values()
        }

    def pods(self) -> list[dict]:
        return pods_of(self.kube, self.namespace, "web")

    def settled(self) -> dict[str, str] | None:
        """Site -> hash, once every Deployment carries the hash of its site's live ConfigMap and is healthy, and
        every pod of the grid carries its site's hash."""
        want = self.data_hashes()
        deps = self.deployments()
        if {s: deployment_hash(d) for s, d in deps.items()} != want or not all(healthy(d) for d in deps.values()):
            return None
        pods = self.pods()
        if any(pod_hash(p) != want[p["metadata"]["labels"][self.key]] for p in pods):
            return None
        return want

    def pod_uids(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for pod in self.pods():
            out.setdefault(pod["metadata"]["labels"][self.key], set()).add(pod["metadata"]["uid"])
        return out

    def new_pods_match_their_data(self, since: str) -> None:
        """Every pod created at or after ``since`` carries the hash of its site's ConfigMap as it is now (the
        data it mounts): none started with the old hash after the data changed, none ahead of its data."""
        want = self.data_hashes()
        for pod in self.kube.list("Pod", self.namespace, "app=web"):
            if pod["metadata"]["creationTimestamp"] < since:
                continue
            site = pod["metadata"]["labels"][self.key]
            assert pod_hash(pod) == want[site], (
                f"{pod['metadata']['name']} started with {pod_hash(pod)}, not {want[site]}"
            )


def pod_hash(pod: dict) -> str | None:
    return (pod["metadata"].get("annotations") or {}).get(CONFIG_HASH_ANNOTATION)


def first_updates(start: Mark, namespace: str, resource: str) -> dict[str, str]:
    """Name -> the time of Metacontroller's first update of each object of ``resource`` since ``start``."""
    out: dict[str, str] = {}
    for event in json_lines_since(start):
        ref = event.get("objectRef") or {}
        if (
            event.get("user", {}).get("username") == METACONTROLLER_USER
            and event.get("verb") in ("update", "patch")
            and ref.get("namespace") == namespace
            and ref.get("resource") == resource
            and not ref.get("subresource")
        ):
            out.setdefault(ref["name"], event["requestReceivedTimestamp"])
    return out


def utc_now() -> str:
    """Now, in the second-granularity form of ``creationTimestamp`` (rounded down)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_config_change_restarts_only_its_sites_one_at_a_time_with_the_data_they_mount(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """Each site's pods name that site's ConfigMap and carry the hash of its live data. A change for one site
    restarts only that site's pods; a change for two sites restarts them one site at a time (maxUpdating 1);
    no pod starts with a hash other than that of the data its site's ConfigMap holds, and each ConfigMap is
    written before the Deployment that restarts its pods; then quiet."""
    key = unique("e2e-cm")
    site_nodes(make_node, key, {s: 1 for s in SITES})
    config = {
        "apiVersion": "superedge.io/v1",
        "kind": "ConfigMapGrid",
        "metadata": {"name": "conf", "namespace": namespace},
        "spec": {"gridUniqKey": key, "data": {"SITE": "{{unit}}", "LEVEL": "info"}},
    }
    rollout = {"maxUpdating": 1, "progressDeadlineSeconds": 300}
    apply(
        kube,
        config,
        grid("DeploymentGrid", "web", namespace, key, config_user_template("web", "conf"), rollout=rollout),
    )
    sites = Sites(kube, namespace, key)
    wait_ready(kube, "ConfigMapGrid", namespace, "conf", units=3)
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=3)
    before = poll("every site on its own ConfigMap's hash", sites.settled, 90)
    assert len(set(before.values())) == 3
    for site, dep in sites.deployments().items():
        container = dep["spec"]["template"]["spec"]["containers"][0]
        assert container["envFrom"] == [{"configMapRef": {"name": f"conf-{site}"}}]
        assert dep["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] == f"conf-{site}"
    uids_before = sites.pod_uids()

    # One site's data changes: only that site's pods restart.
    audit, changed_at = audit_mark(metacontroller), utc_now()
    one = [{"units": ["alpha"], "data": {"LEVEL": "debug"}}]
    kube.merge_patch("ConfigMapGrid", namespace, "conf", {"spec": {"overrides": one}})

    def alpha_moved() -> dict[str, str] | None:
        now = sites.settled()
        return now if now and now["alpha"] != before["alpha"] else None

    after_one = poll("alpha on its new data", alpha_moved, 120)
    assert {s: after_one[s] for s in ("beta", "gamma")} == {s: before[s] for s in ("beta", "gamma")}
    uids_one = sites.pod_uids()
    assert uids_one["beta"] == uids_before["beta"] and uids_one["gamma"] == uids_before["gamma"]
    assert uids_one["alpha"].isdisjoint(uids_before["alpha"])
    configmaps, deployments = (
        first_updates(audit, namespace, "configmaps"),
        first_updates(audit, namespace, "deployments"),
    )
    assert (set(configmaps), set(deployments)) == ({"conf-alpha"}, {"web-alpha"}), (configmaps, deployments)
    assert configmaps["conf-alpha"] < deployments["web-alpha"], "the Deployment moved before its data was stored"
    sites.new_pods_match_their_data(changed_at)

    # Two sites change: they restart one at a time.
    audit, changed_at = audit_mark(metacontroller), utc_now()
    two = [*one, {"units": ["beta", "gamma"], "data": {"LEVEL": "warn"}}]
    kube.merge_patch("ConfigMapGrid", namespace, "conf", {"spec": {"overrides": two}})
    assert one_site_at_a_time(sites, before), "never saw one of beta and gamma moved while the other waited"

    def both_moved() -> dict[str, str] | None:
        now = sites.settled()
        return now if now and all(now[s] != before[s] for s in ("beta", "gamma")) else None

    final = poll("beta and gamma on their new data", both_moved, 180)
    assert final["alpha"] == after_one["alpha"] and sites.pod_uids()["alpha"] == uids_one["alpha"]
    configmaps, deployments = (
        first_updates(audit, namespace, "configmaps"),
        first_updates(audit, namespace, "deployments"),
    )
    assert set(configmaps) == {"conf-beta", "conf-gamma"} and set(deployments) == {"web-beta", "web-gamma"}
    for site in ("beta", "gamma"):
        assert configmaps[f"conf-{site}"] < deployments[f"web-{site}"], (site, configmaps, deployments)
    sites.new_pods_match_their_data(changed_at)
    quiet(metacontroller, namespace, "deploymentgrid/sync", "web")


def one_site_at_a_time(sites: Sites, before: dict[str, str]) -> bool:
    """Watch beta and gamma until both carry a new hash: never may both be on their way at once (a new hash,
    not yet healthy). Returns whether a moment with exactly one of them moved was seen."""
    seen_one = False
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        deps = sites.deployments()
        moved = {s: deps[s] for s in ("beta", "gamma") if deployment_hash(deps[s]) != before[s]}
        on_the_way = [s for s, d in moved.items() if not healthy(d)]
        assert len(on_the_way) <= 1, f"both sites on their way at once: {on_the_way}"
        seen_one = seen_one or len(moved) == 1
        if len(moved) == 2:
            return seen_one
        time.sleep(0.3)
    raise AssertionError("beta and gamma never both moved")
