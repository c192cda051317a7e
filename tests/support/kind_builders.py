"""Builders for the DaemonSetGrid, CronJobGrid and ConfigMapGrid tests: templates and children as the API
server shows them."""

from __future__ import annotations

import copy

from tests.support.builders import deployment_spec, grid, observed
from tests.support.service_builders import observed_service, service_spec


def daemonset_spec(app: str = "agent", image: str = "registry.example.com/agent:1.0") -> dict:
    return {
        "selector": {"matchLabels": {"app": app}},
        "template": {
            "metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": app, "image": image}]},
        },
    }


def daemonset_grid(name: str = "agent", namespace: str = "shop", **spec) -> dict:
    spec.setdefault("template", daemonset_spec())
    return grid("DaemonSetGrid", name, namespace, **spec)


def observed_daemonset(child: dict, nodes: int = 1, ready: bool = True, generation: int = 1, **status) -> dict:
    """A DaemonSet as the API server shows it: ``nodes`` pods desired, all of them current and ready (or none)."""
    live = copy.deepcopy(child)
    live["metadata"].update({"uid": "c-" + child["metadata"]["name"], "resourceVersion": "7", "generation": generation})
    n = nodes if ready else 0
    live["status"] = {
        "observedGeneration": generation,
        "desiredNumberScheduled": nodes,
        "currentNumberScheduled": nodes,
        "updatedNumberScheduled": n,
        "numberReady": n,
        "numberAvailable": n,
        "numberMisscheduled": 0,
        **({"numberUnavailable": nodes - n} if nodes - n else {}),
        **status,
    }
    return live


def template_of(kind: str) -> dict:
    """A valid ``spec.template`` for a grid of ``kind`` (any kind of this release)."""
    builders = {"ServiceGrid": service_spec, "DaemonSetGrid": daemonset_spec, "CronJobGrid": cronjob_spec}
    return builders.get(kind, deployment_spec)()


def grid_of(kind: str, name: str = "web", **spec) -> dict:
    """A grid of any kind of this release (a ConfigMapGrid has data, not a template)."""
    if kind == "ConfigMapGrid":
        return configmap_grid(name, **spec)
    spec.setdefault("template", template_of(kind))
    return grid(kind, name, **spec)


def live_child(child: dict, ready: bool = True) -> dict:
    """Any rendered child as the API server shows it (the right status shape for its kind)."""
    if child["kind"] == "Service":
        return observed_service(child)
    if child["kind"] == "ConfigMap":
        return observed_configmap(child)
    if child["kind"] == "DaemonSet":
        return observed_daemonset(child, ready=ready)
    if child["kind"] == "CronJob":
        return observed_cronjob(child) if ready else observed_cronjob(child, lastScheduleTime="2026-01-01T00:00:00Z")
    return observed(child, ready)


def cronjob_spec(app: str = "sync", schedule: str = "0 3 * * *", image: str = "registry.example.com/sync:1.0") -> dict:
    return {
        "schedule": schedule,
        "jobTemplate": {
            "spec": {
                "template": {
                    "metadata": {"labels": {"app": app}},
                    "spec": {"restartPolicy": "OnFailure", "containers": [{"name": app, "image": image}]},
                }
            }
        },
    }


def cronjob_grid(name: str = "nightly", namespace: str = "shop", **spec) -> dict:
    spec.setdefault("template", cronjob_spec())
    return grid("CronJobGrid", name, namespace, **spec)


def observed_cronjob(child: dict, generation: int = 1, **status) -> dict:
    """A CronJob as the API server shows it, with ``status`` as given (a new CronJob has an empty status)."""
    live = copy.deepcopy(child)
    live["metadata"].update({"uid": "c-" + child["metadata"]["name"], "resourceVersion": "7", "generation": generation})
    live["status"] = dict(status)
    return live


def configmap_grid(name: str = "app-config", namespace: str = "shop", **spec) -> dict:
    spec.setdefault("data", {"SITE": "{{unit}}", "LOG_LEVEL": "info"})
    parent = grid("ConfigMapGrid", name, namespace, **spec)
    del parent["spec"]["template"]
    return parent


def observed_configmap(child: dict) -> dict:
    """A ConfigMap as the API server shows it (no status)."""
    live = copy.deepcopy(child)
    live["metadata"].update({"uid": "c-" + child["metadata"]["name"], "resourceVersion": "7"})
    return live


def with_configs(request: dict, configmap_grids: list[dict], configmaps: list[dict]) -> dict:
    """``request`` (a workload grid's) carrying related ConfigMapGrids and ConfigMaps, as Metacontroller sends
    them when the customize hook asked for them."""
    related = request["related"]
    related["ConfigMapGrid.superedge.io/v1"] = {
        f"{g['metadata']['namespace']}/{g['metadata']['name']}": copy.deepcopy(g) for g in configmap_grids
    }
    related["ConfigMap.v1"] = {
        f"{c['metadata']['namespace']}/{c['metadata']['name']}": observed_configmap(c) for c in configmaps
    }
    return request
