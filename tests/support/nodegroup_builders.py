"""Builders for NodeGroup requests: Nodes with a Ready condition, grids with status, the v2 request."""

from __future__ import annotations

import copy

from hooks.nodegroups.workload_readiness import WORKLOAD_GRID_KINDS, grid_type_key
from hooks.sites.nodeunit import NODEUNIT_TYPE

NODE_TYPE = "Node.v1"


def health_node(
    name: str, labels: dict, ready: bool | str = True, since: str | None = None, heartbeat: str | None = None
) -> dict:
    """A Node with a Ready condition (``ready``: True, False or a status string such as ``"Unknown"``);
    ``since`` and ``heartbeat`` set its ``lastTransitionTime`` and ``lastHeartbeatTime``."""
    status = ready if isinstance(ready, str) else ("True" if ready else "False")
    cond: dict = {"type": "Ready", "status": status}
    if since is not None:
        cond["lastTransitionTime"] = since
    if heartbeat is not None:
        cond["lastHeartbeatTime"] = heartbeat
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, cond]},
    }


def fleet(key: str = "site", down: tuple[str, ...] = (), **units: int) -> dict:
    """``Node.v1`` map with ``count`` nodes per unit; node names in ``down`` are not Ready."""
    nodes = {}
    for unit, count in units.items():
        for i in range(count):
            name = f"{unit}-node-{i}"
            nodes[name] = health_node(name, {key: unit}, ready=name not in down)
    return nodes


def workload_grid(
    namespace: str,
    name: str,
    ready: dict[str, bool] | None = None,
    kind: str = "DeploymentGrid",
    key: str = "site",
    selector: object = None,
) -> dict:
    """A grid as Metacontroller relates it: spec plus the status its own controller wrote."""
    spec: dict = {"gridUniqKey": key, "template": {}}
    if selector is not None:
        spec["nodeSelector"] = selector
    grid = {
        "apiVersion": "superedge.io/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{namespace}-{name}"},
        "spec": spec,
    }
    if ready is not None:
        grid["status"] = {"states": {unit: {"ready": ok, "replicas": 1} for unit, ok in ready.items()}}
    return grid


def node_group(name: str = "sites", **spec) -> dict:
    spec.setdefault("gridUniqKey", "site")
    return {
        "apiVersion": "superedge.io/v1",
        "kind": "NodeGroup",
        "metadata": {"name": name, "uid": "ng-uid", "generation": 1},
        "spec": spec,
    }


def ng_request(parent: dict, nodes: dict, grids: list[dict] = (), nodeunits: dict | None = None) -> dict:
    """A v2 sync request for a cluster-scoped NodeGroup: related keys are ``namespace/name`` for grids.

    ``nodeunits`` are the observed children (cluster-scoped, so keyed by name).
    """
    related: dict = {NODE_TYPE: copy.deepcopy(nodes)}
    for kind in WORKLOAD_GRID_KINDS:
        related[grid_type_key(kind)] = {}
    for grid in grids:
        meta = grid["metadata"]
        group = related.setdefault(f"{grid['kind']}.superedge.io/v1", {})
        group[f"{meta['namespace']}/{meta['name']}"] = copy.deepcopy(grid)
    return {
        "controller": {"metadata": {"name": "nodegroup-controller"}},
        "parent": copy.deepcopy(parent),
        "children": {NODEUNIT_TYPE: copy.deepcopy(nodeunits or {})},
        "related": related,
        "finalizing": False,
    }
