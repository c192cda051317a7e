"""Building blocks of the Metacontroller scenarios: grids, nodes, and waiting for what the cluster shows."""

from __future__ import annotations

import json
import secrets
from typing import Any

from e2e.cluster import KWOK_GROUP_LABEL, Cluster
from e2e.conftest import NodeFactory
from e2e.kube import Kube
from e2e.procs import poll

IMAGE = "registry.k8s.io/echoserver:1.10"
WORKLOADS = frozenset({"deployments", "statefulsets", "services"})
GRID_SELECTOR = "superedge.io/grid-selector"


def deployment_template(app: str, replicas: int = 1, image: str = IMAGE) -> dict:
    return {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": app}},
        "template": {
            "metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": app, "image": image, "ports": [{"name": "http", "containerPort": 8080}]}]},
        },
    }


def grid(kind: str, name: str, namespace: str, key: str, template: dict, **spec: Any) -> dict:
    return {
        "apiVersion": "superedge.io/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"gridUniqKey": key, "template": template, **spec},
    }


def node_group(key: str, **spec: Any) -> dict:
    """A NodeGroup of ``key``, named after it (cluster-scoped: one per key in these scenarios)."""
    return {
        "apiVersion": "superedge.io/v1",
        "kind": "NodeGroup",
        "metadata": {"name": key},
        "spec": {"gridUniqKey": key, **spec},
    }


def service_grid(name: str, namespace: str, key: str, app: str, **template: Any) -> dict:
    tmpl = {"selector": {"app": app}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}], **template}
    return grid("ServiceGrid", name, namespace, key, tmpl)


def apply(kube: Kube, *objects: dict) -> None:
    for obj in objects:
        kube.kubectl("apply", "--server-side", "-f", "-", stdin=json.dumps(obj))


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(2)}"


def owned(kube: Kube, kind: str, namespace: str, grid_name: str) -> dict[str, dict]:
    """The grid's children of ``kind`` by name (the hooks label every child with the grid's name)."""
    return {c["metadata"]["name"]: c for c in kube.list(kind, namespace, f"{GRID_SELECTOR}={grid_name}")}


def wait_children(kube: Kube, kind: str, namespace: str, grid_name: str, names: set[str], timeout: float = 60) -> dict:
    """Poll until the grid's children of ``kind`` are exactly ``names``."""

    def exact() -> dict | None:
        found = owned(kube, kind, namespace, grid_name)
        return found if set(found) == names else None

    return poll(f"{kind}s of {grid_name} to be exactly {sorted(names)}", exact, timeout)


def wait_ready(kube: Kube, kind: str, namespace: str, name: str, units: int, timeout: float = 90) -> dict:
    """Poll until the grid reports ``units`` units, all ready, for its current generation."""

    def ready() -> dict | None:
        obj = kube.get(kind, namespace, name)
        status = obj.get("status") or {}
        current = status.get("observedGeneration") == obj["metadata"]["generation"]
        return obj if current and status.get("units") == units and status.get("readyUnits") == units else None

    return poll(f"{kind} {name}: {units} units ready", ready, timeout)


def uids(objects: dict[str, dict]) -> dict[str, str]:
    return {name: obj["metadata"]["uid"] for name, obj in objects.items()}


def site_nodes(make_node: NodeFactory, key: str, sites: dict[str, int]) -> dict[str, list[str]]:
    """Make ``count`` Ready kwok nodes per site under label ``key``; returns site -> node names."""
    made: dict[str, list[str]] = {}
    for site, count in sites.items():
        for i in range(count):
            name = unique(f"{key}-{site}-{i}")
            make_node(name, {key: site})
            made.setdefault(site, []).append(name)
    return made


def two_sites_with_service(kube: Kube, make_node: NodeFactory, namespace: str, key: str, app: str) -> None:
    """Sites alpha and beta under ``key``, a DeploymentGrid and a ServiceGrid named ``app`` over them, ready."""
    site_nodes(make_node, key, {"alpha": 1, "beta": 1})
    apply(
        kube,
        grid("DeploymentGrid", app, namespace, key, deployment_template(app)),
        service_grid(app, namespace, key, app),
    )
    wait_ready(kube, "DeploymentGrid", namespace, app, units=2)


def condition_of(obj: dict, ctype: str) -> dict:
    """The object's status condition of type ``ctype`` ({} while it has none)."""
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c["type"] == ctype), {})


def dg_condition(kube: Kube, namespace: str, name: str, ctype: str) -> dict:
    """The DeploymentGrid's condition of type ``ctype`` as stored now ({} while it has none)."""
    return condition_of(kube.get("DeploymentGrid", namespace, name), ctype)


def nodeunit_count(kube: Kube, key: str) -> int:
    """How many NodeUnits (tombstones included) exist for ``key``."""
    return sum(1 for u in kube.list("NodeUnit") if u["spec"].get("gridUniqKey") == key)


def node_ready_status(kube: Kube, name: str) -> str | None:
    """The status of the node's Ready condition ("True", "False", "Unknown"), None without one."""
    return condition_of(kube.get("Node", None, name), "Ready").get("status")


def group_nodes(
    cluster: Cluster, make_node: NodeFactory, key: str, sites: dict[str, int], group: str
) -> dict[str, list[str]]:
    """Like :func:`site_nodes`, but managed by a kwok of their own (``group``), so that their sites can be taken
    offline (:func:`take_offline`) and brought back (:func:`bring_online`)."""
    cluster.start_kwok_group(group)
    made: dict[str, list[str]] = {}
    for site, count in sites.items():
        for i in range(count):
            name = unique(f"{key}-{site}-{i}")
            make_node(name, {key: site, KWOK_GROUP_LABEL: group})
            made.setdefault(site, []).append(name)
    return made


def take_offline(cluster: Cluster, kube: Kube, group: str, names: list[str], timeout: float = 90) -> None:
    """Stop the kwok of ``group``: its nodes' heartbeats and leases lapse until the node lifecycle controller marks
    them not Ready, as when an edge site's link drops."""
    cluster.stop_kwok_group(group)
    for name in names:
        poll(f"node {name} not Ready", lambda n=name: node_ready_status(kube, n) in ("Unknown", "False"), timeout)


def bring_online(cluster: Cluster, kube: Kube, group: str, names: list[str], timeout: float = 60) -> None:
    """Start the kwok of ``group`` again: its nodes are Ready once more (their sites are back)."""
    cluster.start_kwok_group(group)
    for name in names:
        poll(f"node {name} Ready again", lambda n=name: node_ready_status(kube, n) == "True", timeout)


def rollout_of(kube: Kube, kind: str, namespace: str, name: str) -> dict:
    """The grid's status.rollout as stored now ({} while it has none)."""
    return (kube.get(kind, namespace, name).get("status") or {}).get("rollout") or {}
