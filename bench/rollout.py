"""A mid-rollout request for the benchmark: the steady-state fleet of bench/fleet.py with ``spec.rollout``.

The grid has a canary step (one unit, by name), a first wave picked by node labels (the hostnames of
the first node of 100 units, so every Node of the fleet is tested against a selector) with
``maxUpdating: 20%``, and the implicit last step. The template then gets a new image and the real hook
is run a few syncs, the units it moves being "observed" on the new revision (healthy, except those of
the last round, which are on their way): the request is the sync after that, in which the wave's
allowance is used up, so no unit moves and the answer does not record the clock.
"""

from __future__ import annotations

import copy
import random

from bench.fleet import (
    NAMESPACE,
    RECORD_KIND,
    RECORD_TYPE,
    UNIT_KEY,
    Sync,
    observed_child,
    steady_state_request,
    stored_records,
)

NEW_IMAGE = "registry.example.com/retail/checkout-api:2.15.0"
CHILD_TYPE = "Deployment.apps/v1"
WAVE = 100


def mid_rollout_request(
    nodes: int, sync: Sync, rounds: int = 3, seed: int = 11, offline_every: int | None = None
) -> dict:
    """The request of the sync after ``rounds`` (at most 8) rollout syncs and one that settles the status.

    With ``offline_every``, every unit whose index is a multiple of it (10: 10% of the fleet) has all its
    nodes not Ready for days: offline, so the rollout defers it.
    """
    request = steady_state_request(nodes, sync)
    if offline_every:
        request = {**request, "related": {"Node.v1": with_offline_units(request["related"]["Node.v1"], offline_every)}}
    rng = random.Random(seed)
    units = sorted({n["metadata"]["labels"][UNIT_KEY] for n in request["related"]["Node.v1"].values()})
    first_nodes = sorted(
        n["metadata"]["name"] for n in request["related"]["Node.v1"].values() if n["metadata"]["name"].endswith("-n0")
    )
    parent = copy.deepcopy(request["parent"])
    spec = parent["spec"]
    spec["template"]["template"]["spec"]["containers"][0]["image"] = NEW_IMAGE
    hostnames = {"key": "kubernetes.io/hostname", "operator": "In", "values": first_nodes[1 : 1 + WAVE]}
    spec["rollout"] = {
        # Ten years: the benchmark's server runs on the real clock, the in-process path on bench/run.py's NOW;
        # with this deadline both see the same units on their way and none halted (only resyncAfterSeconds
        # differs, which bench/run.py leaves out of its comparison).
        "progressDeadlineSeconds": 10 * 365 * 24 * 3600,
        "maxUpdating": "5%",
        "steps": [
            {"name": "canary", "units": units[:1]},
            {"name": "wave-1", "nodeSelector": {"matchExpressions": [hostnames]}, "maxUpdating": "20%"},
        ],
    }
    children = dict(request["children"][CHILD_TYPE])
    records = dict(request["children"][RECORD_TYPE])
    status = parent.get("status")
    for i in range(rounds):
        observed = {CHILD_TYPE: children, RECORD_TYPE: records}
        answer = sync({**request, "parent": parent, "children": observed}, f"2025-11-03T09:5{i}:00Z")
        status = answer["status"]
        records = stored_records(rng, answer, parent)
        for desired in answer["children"]:
            if desired["kind"] == RECORD_KIND:
                continue
            key = f"{NAMESPACE}/{desired['metadata']['name']}"
            stamp = desired["metadata"]["annotations"]["superedge.io/revision"]
            if children[key]["metadata"]["annotations"].get("superedge.io/revision") != stamp:
                children[key] = observed_child(rng, desired, parent, ready=i < rounds - 1)
    # One more sync, so the parent carries the status this state gives (no condition flips in the measured sync).
    observed = {CHILD_TYPE: children, RECORD_TYPE: records}
    settle = sync({**request, "parent": parent, "children": observed}, f"2025-11-03T09:5{rounds}:00Z")
    status = settle["status"]
    parent["status"] = {**status, "observedGeneration": parent["metadata"]["generation"]}
    return {
        **request,
        "parent": parent,
        "children": {CHILD_TYPE: children, RECORD_TYPE: stored_records(rng, settle, parent)},
    }


def with_offline_units(nodes: dict, every: int) -> dict:
    """``nodes`` with every node of each ``every``-th unit not Ready since days before the benchmark's clocks."""
    units = sorted({n["metadata"]["labels"][UNIT_KEY] for n in nodes.values()})
    dark = set(units[::every])
    out = {}
    for name, node in nodes.items():
        if node["metadata"]["labels"][UNIT_KEY] in dark:
            node = copy.deepcopy(node)
            for cond in node["status"]["conditions"]:
                if cond["type"] == "Ready":
                    cond.update(status="Unknown", reason="NodeStatusUnknown", lastTransitionTime="2025-10-30T22:14:05Z")
        out[name] = node
    return out
