"""One workload child per unit: the engine shared by DeploymentGrid and StatefulSetGrid.

The two grid kinds differ only in the data held by :class:`WorkloadKind`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hooks.children import child_annotations, child_labels
from hooks.names import NAME_MAX, STATEFULSET_NAME_MAX, child_name
from hooks.partial import ANY, TEXT

OBSERVED_FIELDS = {"metadata": {"name": TEXT, "generation": ANY}, "spec": {"replicas": ANY}, "status": ANY}
"""The fields of an observed workload child that the grid hooks read (hooks.partial): its name and what
status_figures and is_ready look at. Keep in step with them; kept_child decodes the whole child."""


@dataclass(frozen=True)
class WorkloadKind:
    grid_kind: str
    kind: str
    api_version: str
    name_max: int
    status_figures: tuple[str, ...]

    @property
    def child_type(self) -> str:
        """The key Metacontroller v2 uses for this child type in ``children``."""
        return f"{self.kind}.{self.api_version}"


DEPLOYMENT = WorkloadKind(
    grid_kind="DeploymentGrid",
    kind="Deployment",
    api_version="apps/v1",
    name_max=NAME_MAX,
    status_figures=(
        "observedGeneration",
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
        "unavailableReplicas",
    ),
)
STATEFULSET = WorkloadKind(
    grid_kind="StatefulSetGrid",
    kind="StatefulSet",
    api_version="apps/v1",
    name_max=STATEFULSET_NAME_MAX,
    status_figures=(
        "observedGeneration",
        "replicas",
        "currentReplicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
    ),
)


def unit_child_name(kind: WorkloadKind, grid_name: str, unit: str) -> str:
    return child_name(grid_name, unit, kind.name_max)


def base_child(kind: WorkloadKind, parent_meta: Mapping, template: dict, unit: str) -> dict:
    """The child for ``unit`` before overrides: the template as spec, grid metadata on top."""
    return {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "metadata": {
            "name": unit_child_name(kind, parent_meta["name"], unit),
            "labels": {},
            "annotations": {},
        },
        "spec": template,
    }


def pin_to_unit(kind: WorkloadKind, child: dict, parent_meta: Mapping, key: str, unit: str) -> dict:
    """Enforce the invariants no template or override may break.

    Name, namespace, the unit label on the child, its selector and its pods, and
    the pod nodeSelector are (re)set here, last, so every child stays on its
    unit and sibling workloads never select each other's pods.
    """
    meta = dict(child.get("metadata") or {})
    meta["name"] = unit_child_name(kind, parent_meta["name"], unit)
    if parent_meta.get("namespace"):
        meta["namespace"] = parent_meta["namespace"]
    meta["labels"] = {**(meta.get("labels") or {}), **child_labels(parent_meta, key, unit)}
    meta["annotations"] = {**(meta.get("annotations") or {}), **child_annotations(parent_meta, key)}

    spec = dict(child.get("spec") or {})
    selector = dict(spec.get("selector") or {})
    selector["matchLabels"] = {**(selector.get("matchLabels") or {}), key: unit}
    spec["selector"] = selector
    pod = dict(spec.get("template") or {})
    pod_meta = dict(pod.get("metadata") or {})
    pod_meta["labels"] = {**(pod_meta.get("labels") or {}), key: unit}
    pod["metadata"] = pod_meta
    pod_spec = dict(pod.get("spec") or {})
    pod_spec["nodeSelector"] = {**(pod_spec.get("nodeSelector") or {}), key: unit}
    pod["spec"] = pod_spec
    spec["template"] = pod
    return {**child, "apiVersion": kind.api_version, "kind": kind.kind, "metadata": meta, "spec": spec}


def desired_replicas(child: Mapping) -> int:
    replicas = (child.get("spec") or {}).get("replicas", 1)
    return replicas if isinstance(replicas, int) and not isinstance(replicas, bool) else 1


def status_figures(kind: WorkloadKind, observed: Mapping) -> dict:
    """The child's key status numbers, in SuperEdge's ``states`` shape."""
    status = observed.get("status") or {}
    return {f: status[f] for f in kind.status_figures if isinstance(status.get(f), int)}


def is_ready(observed: Mapping | None) -> bool:
    """Ready means: observed, current (not stale) and every desired replica updated and available."""
    if not isinstance(observed, Mapping):
        return False
    status = observed.get("status")
    generation = (observed.get("metadata") or {}).get("generation", 0)
    if not isinstance(status, Mapping) or not isinstance(generation, int):
        return False
    seen = status.get("observedGeneration")
    if not isinstance(seen, int) or seen < generation:
        return False
    want = desired_replicas(observed)
    available = status.get("availableReplicas", status.get("readyReplicas", 0))
    return all(
        isinstance(n, int) and n >= want
        for n in (status.get("readyReplicas", 0), available, status.get("updatedReplicas", 0))
    )
