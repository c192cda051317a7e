"""Builders for ServiceGrid and node zone decorator requests (v2 shapes)."""

from __future__ import annotations

import copy

from tests.support.builders import grid, sync_request

SERVICE = "Service.v1"


def service_spec(app: str = "web", **extra) -> dict:
    spec = {"selector": {"app": app}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}
    spec.update(extra)
    return spec


def service_grid(name: str = "web", template: dict | None = None, **spec) -> dict:
    return grid("ServiceGrid", name=name, template=template if template is not None else service_spec(), **spec)


def service_sync_request(parent: dict, nodes: dict, children: dict | None = None) -> dict:
    req = sync_request(parent, nodes, children, child_type=SERVICE)
    req["controller"] = {"metadata": {"name": "servicegrid-controller"}}
    return req


def observed_service(child: dict) -> dict:
    """A Service as the API server shows it: allocated clusterIP, server metadata, empty status."""
    live = copy.deepcopy(child)
    live["metadata"].update({"uid": "s-" + child["metadata"]["name"], "resourceVersion": "3"})
    live["spec"].setdefault("clusterIP", "10.96.0.10")
    live["status"] = {"loadBalancer": {}}
    return live


def decorator(key: str | None = "site", name: str = "servicegroup-nodezone") -> dict:
    meta: dict = {"name": name}
    if key is not None:
        meta["annotations"] = {"superedge.io/unit-label-key": key}
    return {"apiVersion": "metacontroller.k8s.io/v1alpha1", "kind": "DecoratorController", "metadata": meta}


def zone_request(labels: dict | None = None, annotations: dict | None = None, key: str | None = "site") -> dict:
    meta: dict = {"name": "edge-1", "labels": dict(labels or {})}
    if annotations is not None:
        meta["annotations"] = dict(annotations)
    return {
        "controller": decorator(key),
        "parent": {"apiVersion": "v1", "kind": "Node", "metadata": meta, "status": {"conditions": []}},
        "children": {},
        "related": {},
        "finalizing": False,
    }
