"""A tiny stand-in for Metacontroller and the workload controllers, to drive a rollout sync by sync."""

from __future__ import annotations

import copy

from hooks.grids.history import CR_TYPE
from hooks.grids.workload import DEPLOYMENT
from hooks.grids.workload_grid import sync as workload_sync
from tests.support.builders import children_map, observed, sync_request
from tests.support.nodegroup_builders import health_node
from tests.support.nodeunit_builders import nu_request

IMAGE_PATH = ("spec", "template", "spec", "containers", 0, "image")


def sync(
    parent: dict, nodes: dict, children: dict, now: str, nodeunits: dict | None = None, history: bool = True
) -> dict:
    """The DeploymentGrid sync hook on these Nodes (or, with ``nodeunits``, on these NodeUnits only).

    ``children`` holds Deployments and ControllerRevisions alike (``namespace/name`` keys); the request carries
    the ControllerRevision type, as a controller declaring it sends it, unless ``history`` is False.
    """
    return workload_sync(rollout_request(parent, nodes, children, nodeunits, history), DEPLOYMENT, now)


def rollout_request(
    parent: dict, nodes: dict, children: dict, nodeunits: dict | None = None, history: bool = True
) -> dict:
    """The v2 request of :func:`sync`: Deployments and ControllerRevisions each under their own type."""
    request = sync_request(parent, nodes, {}) if nodeunits is None else nu_request(parent, nodeunits, {})
    request["children"] = {DEPLOYMENT.child_type: {}, **({CR_TYPE: {}} if history else {})}
    for key, child in children.items():
        group = CR_TYPE if child.get("kind") == "ControllerRevision" else DEPLOYMENT.child_type
        request["children"].setdefault(group, {})[key] = copy.deepcopy(child)
    return request


def stored(child: dict) -> dict:
    """A ControllerRevision as the API server returns it after Metacontroller created or updated it."""
    live = copy.deepcopy(child)
    live["metadata"].update({"uid": "cr-" + child["metadata"]["name"], "resourceVersion": "3"})
    return live


def records(children: dict | list) -> dict[str, dict]:
    """The ControllerRevisions among ``children``, by name."""
    items = children.values() if isinstance(children, dict) else children
    return {c["metadata"]["name"]: c for c in items if c.get("kind") == "ControllerRevision"}


def applied(response: dict, before: dict, ready: dict[str, bool] | None = None, default_ready: bool = True) -> dict:
    """The observed children after Metacontroller applied ``response`` and the controllers ran.

    A child whose desired object equals what was observed (minus status and server metadata) keeps its
    observed status; a changed or new child becomes ready as ``ready[name]`` says (default ``default_ready``).
    """
    ready = ready or {}
    out = {}
    for child in response["children"]:
        key = f"{child['metadata']['namespace']}/{child['metadata']['name']}"
        old = before.get(key)
        if child["kind"] == "ControllerRevision":
            out[key] = stored(child)
        elif old is not None and _spec_of(old) == _spec_of(child) and child["metadata"]["name"] not in ready:
            out[key] = copy.deepcopy(old)
        else:
            out[key] = observed(child, ready=ready.get(child["metadata"]["name"], default_ready))
    return out


def _spec_of(obj: dict) -> tuple:
    meta = obj["metadata"]
    return (meta.get("labels"), meta.get("annotations"), obj.get("spec"))


def sites(online_since: str = "2025-12-31T00:00:00Z", **units: tuple[bool | str, str] | None) -> dict:
    """One node per unit: ``unit=(ready, since)`` gives its Ready condition; ``unit=None`` an online node."""
    nodes = {}
    for unit, state in units.items():
        ready, since = state if state is not None else (True, online_since)
        nodes[f"{unit}-node-0"] = health_node(f"{unit}-node-0", {"site": unit}, ready, since)
    return nodes


def image(child: dict) -> str:
    return child["spec"]["template"]["spec"]["containers"][0]["image"]


def images(children: dict | list) -> dict[str, str]:
    """Workload child name -> its image (ControllerRevisions left out)."""
    items = children.values() if isinstance(children, dict) else children
    return {c["metadata"]["name"]: image(c) for c in items if c.get("kind") != "ControllerRevision"}


def condition_of(response: dict, ctype: str = "Rollout") -> dict:
    return next(c for c in response["status"]["conditions"] if c["type"] == ctype)


def steady(parent: dict, nodes: dict, now: str) -> dict:
    """Observed children after a first sync landed and became ready (no rollout in the way: no children yet)."""
    return applied(sync(parent, nodes, {}, now), {})


__all__ = [
    "applied",
    "children_map",
    "condition_of",
    "image",
    "images",
    "records",
    "rollout_request",
    "sites",
    "steady",
    "stored",
    "sync",
]
