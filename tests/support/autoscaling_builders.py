"""Builders for autoscaled grids: HPA specs, requests with both child types, observed HPAs and workloads."""

from __future__ import annotations

import copy

from hooks.grids.autoscaling import HPA_TYPE
from tests.support.builders import children_map, sync_request
from tests.support.metacontroller_apply import as_stored

PARENT_UID = "uid-1"  # tests.support.builders.grid's uid


def external_metric(name: str = "queue_depth", average: object = "10") -> dict:
    """An External metric selecting the unit's own series (``{{unit}}``), with an average-value target."""
    return {
        "type": "External",
        "external": {
            "metric": {"name": name, "selector": {"matchLabels": {"site": "{{unit}}"}}},
            "target": {"type": "AverageValue", "averageValue": average},
        },
    }


def autoscaling(**fields: object) -> dict:
    """``spec.autoscaling``: max 6 and the external metric unless given."""
    return {"maxReplicas": 6, "metrics": [external_metric()], **fields}


def request(parent: dict, nodes: dict, children: list[dict], workload: str = "Deployment.apps/v1") -> dict:
    """A sync request whose observed children are split by type (workloads and HPAs), as Metacontroller sends."""
    req = sync_request(parent, nodes, children_map([c for c in children if c["kind"] != "HorizontalPodAutoscaler"]))
    req["children"] = {workload: req["children"]["Deployment.apps/v1"]}
    req["children"][HPA_TYPE] = children_map(
        [copy.deepcopy(c) for c in children if c["kind"] == "HorizontalPodAutoscaler"]
    )
    return req


def by_kind(response: dict) -> dict[str, dict[str, dict]]:
    """Kind -> name -> child of a response."""
    out: dict[str, dict[str, dict]] = {}
    for child in response["children"]:
        out.setdefault(child["kind"], {})[child["metadata"]["name"]] = child
    return out


def created(desired: dict, replicas: int | None = None, ready: bool = True) -> dict:
    """A workload child as it exists after Metacontroller created ``desired``: the API server's default of 1
    replica when none was sent, Metacontroller's record of ``desired``, status; then scaled to ``replicas``
    by someone else (an autoscaler) if given."""
    stored = copy.deepcopy(desired)
    stored["spec"].setdefault("replicas", 1)
    if replicas is not None:
        stored["spec"]["replicas"] = replicas
    stored["metadata"].update({"uid": "c-" + desired["metadata"]["name"], "resourceVersion": "7", "generation": 1})
    n = stored["spec"]["replicas"] if ready else 0
    fields = ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
    stored["status"] = {"observedGeneration": 1, **dict.fromkeys(fields, n)}
    return as_stored(desired, stored, PARENT_UID)


def live_hpa(hpa: dict, current: int, desired: int, able: str = "True", active: str = "True", **reasons: str) -> dict:
    """An observed HPA with the status the HPA controller writes."""
    live = as_stored(hpa, copy.deepcopy(hpa), PARENT_UID)
    live["spec"].setdefault("minReplicas", 1)
    conditions = [
        {"type": "AbleToScale", "status": able, "reason": reasons.get("able_reason", "ReadyForNewScale"),
         "message": "m"},
        {"type": "ScalingActive", "status": active, "reason": reasons.get("active_reason", "ValidMetricFound"),
         "message": reasons.get("active_message", "the HPA was able to compute the replica count")},
        {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange", "message": "m"},
    ]  # fmt: skip
    live["status"] = {"currentReplicas": current, "desiredReplicas": desired, "conditions": conditions}
    return live
