"""The full loop with Metacontroller (skipped without its binary).

Each scenario has its own namespace and its own node label key (so no other test's nodes wake its grids),
except those that need the key ``site`` the node zone decorator is installed for. Writes are counted in
the API server's audit log (every request Metacontroller makes, even those the API server turns into
no-ops, which a resourceVersion watch would miss); hook calls in the hook server's JSON log.
"""

from __future__ import annotations

import datetime as dt
import time

import yaml

from e2e.cluster import Cluster
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.manifests import REPO
from e2e.observe import audit_mark, child_writes, hold, hook_calls, hooks_mark, wait_quiet
from e2e.procs import poll
from e2e.scenario import (
    WORKLOADS,
    apply,
    deployment_template,
    grid,
    node_group,
    nodeunit_count,
    owned,
    service_grid,
    site_nodes,
    two_sites_with_service,
    uids,
    unique,
    wait_children,
    wait_ready,
)

# ---- README walkthrough ------------------------------------------------------------------------------


def readme_worked_example() -> dict:
    """The first YAML block of the README's "Worked example" section."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Worked example") :]
    block = section[section.index("```yaml\n") + len("```yaml\n") :]
    return yaml.safe_load(block[: block.index("```")])


def test_readme_walkthrough(metacontroller: Cluster, kube: Kube, nodes: list[dict], namespace: str) -> None:
    """The README's DeploymentGrid, read from the README, on the three example sites: ready, pods only on
    their own site's nodes. The kubectl output is kept as the README shows it (SERVICEGROUP_E2E_KEEP)."""
    echo = readme_worked_example()
    echo["metadata"]["namespace"] = namespace
    apply(kube, echo)
    sites = {n["metadata"]["labels"]["site"] for n in nodes if "site" in n["metadata"]["labels"]}
    assert len(sites) == 3
    wait_ready(kube, "DeploymentGrid", namespace, "echo", units=3)
    deployments = wait_children(kube, "Deployment", namespace, "echo", {f"echo-{s}" for s in sites})
    for name, dep in deployments.items():
        assert dep["status"].get("availableReplicas") == 2, (name, dep["status"])
    node_site = {n["metadata"]["name"]: n["metadata"]["labels"].get("site") for n in nodes}
    pods = kube.list("Pod", namespace, "app=echo")
    assert len(pods) == 6
    for pod in pods:
        assert node_site[pod["spec"]["nodeName"]] == pod["metadata"]["labels"]["site"], pod["metadata"]["name"]
    captured = "\n".join(
        f"$ kubectl -n demo {cmd}\n" + kube.kubectl("-n", namespace, *cmd.split()).stdout
        for cmd in ("get dg", "get deploy -L site")
    )
    (metacontroller.logs / "readme-walkthrough.txt").write_text(captured)


# ---- sites coming and going --------------------------------------------------------------------------


def test_site_added_and_removed(metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str) -> None:
    """A new site's child appears; a site whose last node goes loses its child, at once or after grace."""
    key = unique("e2e-sites")
    made = site_nodes(make_node, key, {"alpha": 1, "beta": 1})
    apply(kube, grid("DeploymentGrid", "g", namespace, key, deployment_template("g")))
    wait_ready(kube, "DeploymentGrid", namespace, "g", units=2)

    make_node(unique(f"{key}-gamma"), {key: "gamma"})
    wait_children(kube, "Deployment", namespace, "g", {"g-alpha", "g-beta", "g-gamma"}, timeout=30)

    kube.delete("Node", None, made["beta"][0])  # no grace period: the child goes with the last node
    kept = wait_children(kube, "Deployment", namespace, "g", {"g-alpha", "g-gamma"}, timeout=30)

    grace = 15
    kube.merge_patch("DeploymentGrid", namespace, "g", {"spec": {"unitRemovalGracePeriodSeconds": grace}})
    gamma_node = next(n["metadata"]["name"] for n in kube.list("Node", selector=f"{key}=gamma"))
    kube.merge_patch("Node", None, gamma_node, {"metadata": {"labels": {key: None}}})
    removal_at = _removal_deadline(kube, namespace, "g", "gamma")
    assert removal_at - time.time() > grace - 10, "deadline not about grace seconds away"
    hold(
        "g-gamma kept during its grace period",
        lambda: None if owned(kube, "Deployment", namespace, "g").get("g-gamma", {}).get("metadata", {}).get("uid")
        == kept["g-gamma"]["metadata"]["uid"] else "g-gamma deleted or replaced",
        seconds=max(0.0, removal_at - time.time() - 2),
    )  # fmt: skip
    wait_children(kube, "Deployment", namespace, "g", {"g-alpha"}, timeout=max(0.0, removal_at - time.time()) + 30)


def _removal_deadline(kube: Kube, namespace: str, name: str, unit: str) -> float:
    """The unit's ``status.states[unit].removalAt`` as a Unix time, once the grid reports it."""

    def deadline() -> str | None:
        return (
            ((kube.get("DeploymentGrid", namespace, name).get("status") or {}).get("states") or {})
            .get(unit, {})
            .get("removalAt")
        )

    text = poll(f"status.states.{unit}.removalAt", deadline, 30)
    return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()


# ---- quiet after a change ----------------------------------------------------------------------------


def test_template_change_then_sixty_quiet_seconds(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """A new image reaches every site; then 60 s with node heartbeats and zero writes to any child."""
    key = unique("e2e-quiet")
    two_sites_with_service(kube, make_node, namespace, key, "web")
    new_image = "registry.k8s.io/echoserver:1.11"
    kube.merge_patch(
        "DeploymentGrid", namespace, "web", {"spec": {"template": deployment_template("web", image=new_image)}}
    )

    def rolled_out() -> bool:
        deps = owned(kube, "Deployment", namespace, "web")
        images = {d["spec"]["template"]["spec"]["containers"][0]["image"] for d in deps.values()}
        return len(deps) == 2 and images == {new_image}

    poll("the new image in both sites", rolled_out, 60)
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=2)
    wait_ready(kube, "ServiceGrid", namespace, "web", units=2)
    audit, calls = audit_mark(metacontroller), hooks_mark(metacontroller)
    hold("no write to any child", lambda: "; ".join(child_writes(audit, namespace, WORKLOADS)) or None, 60)
    syncs = hook_calls(calls, "deploymentgrid/sync", name="web", namespace=namespace)
    assert syncs, "no sync of the grid in 60 s: heartbeats did not wake it, so the quiet proves nothing"


# ---- hook server outage -----------------------------------------------------------------------------


def test_hook_outage_during_node_changes_loses_nothing(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """Hook server down 30 s while sites change: no child lost meanwhile; afterwards the change lands."""
    key = unique("e2e-outage")
    two_sites_with_service(kube, make_node, namespace, key, "api")
    before = {kind: uids(owned(kube, kind, namespace, "api")) for kind in ("Deployment", "Service")}
    assert len(before["Deployment"]) == 2 and len(before["Service"]) == 3

    metacontroller.stop_hooks()
    try:
        site_nodes(make_node, key, {"alpha": 1, "gamma": 1})  # one more node in alpha, a new site gamma

        def unchanged() -> str | None:
            now = {kind: uids(owned(kube, kind, namespace, "api")) for kind in before}
            return None if now == before else f"children changed while the hooks were down: {now}"

        hold("children unchanged during the outage", unchanged, 30)
    finally:
        metacontroller.start_hooks()
    after = wait_children(kube, "Deployment", namespace, "api", {"api-alpha", "api-beta", "api-gamma"}, timeout=90)
    assert {n: uids(after)[n] for n in before["Deployment"]} == before["Deployment"], "a child was replaced"
    services = wait_children(
        kube, "Service", namespace, "api", {"api-svc", *(f"api-svc-{s}" for s in ("alpha", "beta", "gamma"))}
    )
    assert {n: uids(services)[n] for n in before["Service"]} == before["Service"], "a Service was replaced"
    wait_ready(kube, "DeploymentGrid", namespace, "api", units=3)


# ---- NodeGroup re-created under NodeUnits-mode grids -------------------------------------------------


def test_nodegroup_recreated_under_nodeunits_grids_loses_nothing(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """Delete and re-create the NodeGroup: no child of a NodeUnits-mode grid is deleted or replaced."""
    key = unique("e2e-ng")
    site_nodes(make_node, key, {"alpha": 1, "beta": 1, "gamma": 1})
    group = node_group(key)
    apply(kube, group)
    try:
        _nodeunits_scenario(metacontroller, kube, namespace, key, group)
    finally:
        kube.delete("NodeGroup", None, key)


def _nodeunits_scenario(cluster: Cluster, kube: Kube, namespace: str, key: str, group: dict) -> None:
    poll("3 NodeUnits", lambda: nodeunit_count(kube, key) == 3, 60)
    sts = deployment_template("db")
    sts["serviceName"] = "db"
    apply(
        kube,
        grid("DeploymentGrid", "web", namespace, key, deployment_template("web"), siteSource="NodeUnits"),
        grid("StatefulSetGrid", "db", namespace, key, sts, siteSource="NodeUnits"),
        {
            **service_grid("web", namespace, key, "web"),
            "spec": {**service_grid("web", namespace, key, "web")["spec"], "siteSource": "NodeUnits"},
        },
    )
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=3)
    wait_ready(kube, "StatefulSetGrid", namespace, "db", units=3)
    wait_ready(kube, "ServiceGrid", namespace, "web", units=3)
    kinds = ("Deployment", "StatefulSet", "Service")
    before = {k: uids(owned(kube, k, namespace, "web" if k != "StatefulSet" else "db")) for k in kinds}
    audit = audit_mark(cluster)

    kube.delete("NodeGroup", None, key)
    poll("every NodeUnit of the key gone", lambda: nodeunit_count(kube, key) == 0, 60)
    poll("the NodeGroup gone", lambda: kube.get_or_none("NodeGroup", None, key) is None, 60)
    apply(kube, group)
    poll("3 NodeUnits again", lambda: nodeunit_count(kube, key) == 3, 60)
    wait_ready(kube, "DeploymentGrid", namespace, "web", units=3)
    wait_ready(kube, "StatefulSetGrid", namespace, "db", units=3)
    wait_ready(kube, "ServiceGrid", namespace, "web", units=3)
    deletes = [w for w in child_writes(audit, namespace, WORKLOADS) if w.startswith(("delete", "create"))]
    after = {k: uids(owned(kube, k, namespace, "web" if k != "StatefulSet" else "db")) for k in kinds}
    assert not deletes and after == before, f"children deleted or created: {deletes}"


def test_a_site_that_goes_away_under_nodeunits_grids_is_removed_through_its_tombstone(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """The last node of a site goes: the NodeGroup keeps its NodeUnit as a tombstone (no nodes), the grid
    removes that site's child on that evidence, and the other sites' children are untouched."""
    key = unique("e2e-tomb")
    made = site_nodes(make_node, key, {"alpha": 1, "beta": 1, "gamma": 1})
    group = node_group(key, unitTombstoneSeconds=60)
    apply(kube, group)
    try:
        poll("3 NodeUnits", lambda: nodeunit_count(kube, key) == 3, 60)
        apply(kube, grid("DeploymentGrid", "web", namespace, key, deployment_template("web"), siteSource="NodeUnits"))
        wait_ready(kube, "DeploymentGrid", namespace, "web", units=3)
        before = uids(owned(kube, "Deployment", namespace, "web"))

        kube.delete("Node", None, made["gamma"][0])
        kept = wait_children(kube, "Deployment", namespace, "web", {"web-alpha", "web-beta"}, timeout=60)
        assert uids(kept) == {n: u for n, u in before.items() if n != "web-gamma"}
        tombstones = [
            u for u in kube.list("NodeUnit") if u["spec"].get("gridUniqKey") == key and u["spec"]["unit"] == "gamma"
        ]
        assert [u["spec"]["nodes"] for u in tombstones] == [[]], tombstones
        assert "superedge.io/unit-gone-since" in tombstones[0]["metadata"]["annotations"]
    finally:
        kube.delete("NodeGroup", None, key)


# ---- StatefulSetGrid with claim templates ------------------------------------------------------------


def test_statefulsetgrid_with_claims_is_quiet(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """Once created, a StatefulSetGrid with volumeClaimTemplates causes no update while heartbeats resync it."""
    key = unique("e2e-claims")
    site_nodes(make_node, key, {"alpha": 1, "beta": 1})
    template = deployment_template("cache")
    template["serviceName"] = "cache"
    claim = {
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    template["volumeClaimTemplates"] = [claim]
    apply(kube, grid("StatefulSetGrid", "cache", namespace, key, template))
    wait_children(kube, "StatefulSet", namespace, "cache", {"cache-alpha", "cache-beta"})
    audit, calls = audit_mark(metacontroller), hooks_mark(metacontroller)
    hold("no write to the StatefulSets", lambda: "; ".join(child_writes(audit, namespace, WORKLOADS)) or None, 20)
    assert hook_calls(calls, "statefulsetgrid/sync", name="cache", namespace=namespace), "no sync: nothing was tested"


# ---- ServiceGrid: EndpointSlices per site, zone hints from the decorator -----------------------------


def test_servicegrid_endpointslices_and_zone_hints(
    metacontroller: Cluster, kube: Kube, nodes: list[dict], namespace: str
) -> None:
    """Per-site Services hold only their site's pods; the shared Service's endpoints carry zone hints."""
    site_of = {
        n["metadata"]["name"]: n["metadata"]["labels"]["site"] for n in nodes if "site" in n["metadata"]["labels"]
    }
    sites = set(site_of.values())
    poll(
        "the node zone decorator to copy site into topology.kubernetes.io/zone",
        lambda: all(
            kube.get("Node", None, n)["metadata"]["labels"].get("topology.kubernetes.io/zone") == s
            for n, s in site_of.items()
        ),
        60,
    )
    apply(
        kube,
        grid("DeploymentGrid", "api", namespace, "site", deployment_template("api")),
        service_grid("api", namespace, "site", "api", trafficDistribution="PreferSameZone"),
    )
    wait_ready(kube, "DeploymentGrid", namespace, "api", units=len(sites))
    wait_ready(kube, "ServiceGrid", namespace, "api", units=len(sites))
    pod_site = {
        p["status"].get("podIP"): site_of[p["spec"]["nodeName"]] for p in kube.list("Pod", namespace, "app=api")
    }

    def endpoints(service: str) -> list[dict]:
        slices = kube.list("EndpointSlice", namespace, f"kubernetes.io/service-name={service}")
        return [e for s in slices for e in s.get("endpoints") or []]

    for site in sites:
        eps = poll(f"endpoints of api-svc-{site}", lambda site=site: endpoints(f"api-svc-{site}") or None, 60)
        assert {pod_site[e["addresses"][0]] for e in eps} == {site}, (site, eps)

    def hinted() -> list[dict] | None:
        eps = endpoints("api-svc")
        ok = len(eps) == len(sites) and all(
            e.get("hints", {}).get("forZones") == [{"name": e.get("zone")}] for e in eps
        )
        return eps if ok else None

    shared = poll("api-svc endpoints with zone hints", hinted, 60)
    assert {e["zone"] for e in shared} == sites
    assert all(pod_site[e["addresses"][0]] == e["zone"] for e in shared)


# ---- heartbeats --------------------------------------------------------------------------------------


def test_heartbeats_wake_no_nodeunits_grid(
    metacontroller: Cluster, kube: Kube, make_node: NodeFactory, namespace: str
) -> None:
    """With kwok heartbeats every few seconds, a Nodes-mode grid syncs again and again; a NodeUnits one never."""
    key = unique("e2e-hb")
    site_nodes(make_node, key, {"alpha": 1, "beta": 1})
    group = node_group(key)
    apply(kube, group)
    try:
        poll("2 NodeUnits", lambda: nodeunit_count(kube, key) == 2, 60)
        apply(
            kube,
            grid("DeploymentGrid", "by-nodes", namespace, key, deployment_template("a")),
            grid("DeploymentGrid", "by-units", namespace, key, deployment_template("b"), siteSource="NodeUnits"),
        )
        wait_ready(kube, "DeploymentGrid", namespace, "by-nodes", units=2)
        wait_ready(kube, "DeploymentGrid", namespace, "by-units", units=2)
        beat = metacontroller.options.heartbeat_seconds
        # Children's status updates (pods becoming ready) still wake both grids for a moment.
        wait_quiet(metacontroller, "deploymentgrid/sync", "by-units", namespace, quiet_for=2 * beat + 2, timeout=60)
        calls = hooks_mark(metacontroller)
        window = max(20.0, 4 * beat)
        hold(
            "no sync of the NodeUnits-mode grid",
            lambda: "woken" if hook_calls(calls, "deploymentgrid/sync", name="by-units", namespace=namespace) else None,
            window,
        )
        by_nodes = hook_calls(calls, "deploymentgrid/sync", name="by-nodes", namespace=namespace)
        print(f"hook calls in {window:.0f} s: siteSource Nodes {len(by_nodes)}, NodeUnits 0")
        assert len(by_nodes) >= 2, f"the Nodes-mode grid synced {len(by_nodes)} times: heartbeats did not reach it"
    finally:
        kube.delete("NodeGroup", None, key)


def test_heartbeats_do_not_call_the_node_zone_decorator(metacontroller: Cluster, kube: Kube, nodes: list[dict]) -> None:
    """Node heartbeats (status-only updates) reach no decorator call; label changes still do (zone test)."""
    names = frozenset(n["metadata"]["name"] for n in nodes if "site" in n["metadata"]["labels"])
    beat = metacontroller.options.heartbeat_seconds
    poll(
        "zone labels on every site node (the decorator's first work done)",
        lambda: all("topology.kubernetes.io/zone" in kube.get("Node", None, n)["metadata"]["labels"] for n in names),
        60,
    )
    wait_quiet(metacontroller, "nodezone/sync", names, None, quiet_for=2 * beat + 2, timeout=30)
    versions = {n: kube.get("Node", None, n)["metadata"]["resourceVersion"] for n in names}
    calls = hooks_mark(metacontroller)
    window = max(20.0, 4 * beat)

    def woken() -> str | None:
        hit = [c["name"] for c in hook_calls(calls, "nodezone/sync", name=names)]
        return f"decorator called for {sorted(set(hit))}" if hit else None

    hold("no decorator call while only heartbeats change the nodes", woken, window)
    beaten = {n for n in names if kube.get("Node", None, n)["metadata"]["resourceVersion"] != versions[n]}
    assert beaten == names, f"nodes without a heartbeat in {window:.0f} s: {sorted(names - beaten)}"
