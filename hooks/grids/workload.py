"""One workload child per unit: the engine shared by DeploymentGrid and StatefulSetGrid.

The two grid kinds differ only in the data held by :class:`WorkloadKind`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hooks.grids.children import UNIQ_KEY_ANNOTATION, grid_annotations, grid_labels, invariant_labels
from hooks.kube.errors import SpecError
from hooks.kube.names import NAME_MAX, STATEFULSET_NAME_MAX, ChildNames, child_names
from hooks.kube.objects import integer, mapping
from hooks.protocol.partial import ANY, TEXT

OBSERVED_FIELDS = {
    "metadata": {"name": TEXT, "generation": ANY},
    "spec": {"replicas": ANY, "volumeClaimTemplates": ANY},
    "status": ANY,
}
"""The fields of an observed workload child that the grid hooks read (hooks.protocol.partial): its name, what
status_figures and is_ready look at, and a StatefulSet's stored claim templates (hooks.grids.stored_form).
Keep in step with them; kept_child decodes the whole child."""


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


def unit_child_names(kind: WorkloadKind, grid_name: str, observed: Mapping[str, str]) -> ChildNames:
    """The names of the grid's children in one sync (``observed``: observed child name -> its unit)."""
    return child_names(grid_name, observed, kind.name_max)


def base_child(kind: WorkloadKind, parent_meta: Mapping, template: dict, name: str) -> dict:
    """The unit's child named ``name`` before overrides: the template as spec, the grid's labels and annotations.

    Inherited labels and annotations are set here, before overrides, so a patch can
    change them per unit; only the invariants are forced afterwards by :func:`pin_to_unit`.
    """
    return {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "metadata": {
            "name": name,
            "labels": grid_labels(parent_meta),
            "annotations": grid_annotations(parent_meta),
        },
        "spec": template,
    }


def pin_to_unit(kind: WorkloadKind, child: dict, parent_meta: Mapping, key: str, unit: str, name: str) -> dict:
    """Enforce the invariants no template or override may break.

    Name (``name``: the unit's child name), namespace, kind, the invariant labels (unit, grid selector) and the
    gridUniqKey annotation on the child, the unit in its selector and its pods'
    labels, and the unit in the pod nodeSelector are (re)set here, after every
    override, so every child stays on its unit and sibling workloads never select
    each other's pods. Other labels and annotations are left as overrides made them.
    """
    meta = _mapping(child.get("metadata"), "metadata")
    meta["name"] = name
    if parent_meta.get("namespace"):
        meta["namespace"] = parent_meta["namespace"]
    meta["labels"] = {**_mapping(meta.get("labels"), "metadata.labels"), **invariant_labels(parent_meta, key, unit)}
    meta["annotations"] = {**_mapping(meta.get("annotations"), "metadata.annotations"), UNIQ_KEY_ANNOTATION: key}

    spec = _mapping(child.get("spec"), "spec")
    selector = _mapping(spec.get("selector"), "spec.selector")
    selector["matchLabels"] = {**_mapping(selector.get("matchLabels"), "spec.selector.matchLabels"), key: unit}
    spec["selector"] = selector
    pod = _mapping(spec.get("template"), "spec.template")
    pod_meta = _mapping(pod.get("metadata"), "spec.template.metadata")
    pod_meta["labels"] = {**_mapping(pod_meta.get("labels"), "spec.template.metadata.labels"), key: unit}
    pod["metadata"] = pod_meta
    pod_spec = _mapping(pod.get("spec"), "spec.template.spec")
    node_selector = _mapping(pod_spec.get("nodeSelector"), "spec.template.spec.nodeSelector")
    pod_spec["nodeSelector"] = {**node_selector, key: unit}
    pod["spec"] = pod_spec
    spec["template"] = pod
    return {**child, "apiVersion": kind.api_version, "kind": kind.kind, "metadata": meta, "spec": spec}


def _mapping(value: object, field: str) -> dict:
    """A shallow copy of an optional object field; anything but an object there is the user's error."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError(f"rendered child is invalid: {field} must be an object, not {type(value).__name__}")
    return dict(value)


def desired_replicas(child: Mapping) -> int:
    replicas = integer(mapping(child, "spec"), "replicas", 1)
    return replicas if replicas is not None else 1


def status_figures(kind: WorkloadKind, observed: Mapping) -> dict:
    """The child's key status numbers, in SuperEdge's ``states`` shape."""
    status = mapping(observed, "status")
    figures = {f: integer(status, f) for f in kind.status_figures}
    return {f: n for f, n in figures.items() if n is not None}


def is_ready(observed: Mapping | None) -> bool:
    """Ready means: observed, current (not stale), every desired replica updated and available, and no pod of
    an older revision left (``status.replicas`` counts every pod: while a new pod cannot start, the old one
    keeps serving and the counts of ready and available pods alone would call a stuck update ready)."""
    if observed is None:
        return False
    status = mapping(observed, "status")
    generation = integer(mapping(observed, "metadata"), "generation", 0)
    seen = integer(status, "observedGeneration")
    if seen is None or generation is None or seen < generation:
        return False
    want = desired_replicas(observed)
    ready = integer(status, "readyReplicas", 0)
    available = integer(status, "availableReplicas", ready)
    updated = integer(status, "updatedReplicas", 0)
    pods = integer(status, "replicas", updated)
    return min(ready, available, updated) >= want and pods <= updated
