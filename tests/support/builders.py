"""Builders for Metacontroller v2 requests, shared by every test layer."""

from __future__ import annotations

import copy
import json

NOW = "2026-01-01T00:00:00Z"


def node(name: str, labels: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels or {}}}


def site_nodes(key: str = "site", **units: int) -> dict:
    """``Node.v1`` map with ``count`` nodes per unit: site_nodes(a=2, b=1)."""
    nodes = {}
    for unit, count in units.items():
        for i in range(count):
            name = f"{unit}-node-{i}"
            nodes[name] = node(name, {key: unit})
    return nodes


def deployment_spec(app: str = "web", replicas: int = 2, image: str = "nginx:1.27") -> dict:
    return {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": app}},
        "template": {
            "metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": app, "image": image}]},
        },
    }


def grid(kind: str = "DeploymentGrid", name: str = "web", namespace: str = "shop", **spec) -> dict:
    spec.setdefault("gridUniqKey", "site")
    spec.setdefault("template", deployment_spec())
    return {
        "apiVersion": "superedge.io/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "uid": "uid-1", "generation": 1},
        "spec": spec,
    }


def sync_request(
    parent: dict, nodes: dict, children: dict | None = None, child_type: str = "Deployment.apps/v1"
) -> dict:
    return {
        "controller": {"metadata": {"name": "deploymentgrid-controller"}},
        "parent": copy.deepcopy(parent),
        "children": {child_type: copy.deepcopy(children or {})},
        "related": {"Node.v1": copy.deepcopy(nodes)},
        "finalizing": False,
    }


def observed(child: dict, ready: bool = True, generation: int = 1) -> dict:
    """A child as the API server would show it: the desired object plus status and server metadata."""
    live = copy.deepcopy(child)
    live["metadata"].update({"uid": "c-" + child["metadata"]["name"], "resourceVersion": "7", "generation": generation})
    replicas = child["spec"].get("replicas", 1)
    n = replicas if ready else 0
    live["status"] = {
        "observedGeneration": generation,
        "replicas": replicas,
        "updatedReplicas": n,
        "readyReplicas": n,
        "availableReplicas": n,
    }
    return live


def children_map(children: list[dict]) -> dict:
    return {f"{c['metadata']['namespace']}/{c['metadata']['name']}": c for c in children}


def post(client, path: str, body: object, content_type: str = "application/json"):
    """POST ``body`` (bytes as they are, anything else as JSON) to the test client."""
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(path, data=data, content_type=content_type)


def unstamped(annotations: dict) -> dict:
    """A child's annotations without its revision stamp (tested on its own in tests/grids/test_revision.py)."""
    return {k: v for k, v in annotations.items() if k != "superedge.io/revision"}


def reordered(value: object) -> object:
    """``value`` with the keys of every object in reverse order: the same request, sent differently."""
    if isinstance(value, dict):
        return {k: reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(v) for v in value]
    return value


def same_answer_in_any_order(client, path: str, request: dict) -> bytes:
    """The answer to ``request``, asserting it is byte for byte the answer to ``request`` with every map reversed.

    Whether replicas with different hash seeds answer alike is tests/server/test_determinism.py's question.
    """
    other = reordered(request)
    assert json.dumps(other) != json.dumps(request), "the request has nothing to reorder"
    first = post(client, path, request)
    assert first.status_code == 200
    assert post(client, path, other).data == first.data
    return first.data
