"""One workload child per unit: the engine shared by the workload grid kinds.

DeploymentGrid, StatefulSetGrid, DaemonSetGrid and CronJobGrid differ only in the data and the few
functions held by :class:`WorkloadKind`: where the child's pod template and selector are, how its pods are
kept on the unit's nodes, which status figures it reports and when it is ready. The Deployment and
StatefulSet kinds are defined here; the DaemonSet kind in :mod:`hooks.grids.daemonset` and the CronJob kind
in :mod:`hooks.grids.cronjob`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hooks.grids.children import UNIQ_KEY_ANNOTATION, grid_annotations, grid_labels, invariant_labels
from hooks.grids.overrides import POD_PATH, WORKLOAD_RULES, EntryRules
from hooks.kube.errors import SpecError
from hooks.kube.names import NAME_MAX, STATEFULSET_NAME_MAX, ChildNames, child_names
from hooks.kube.objects import integer, mapping
from hooks.protocol.partial import ANY, TEXT

OBSERVED_FIELDS = {
    "metadata": {"name": TEXT, "generation": ANY},
    "spec": {"replicas": ANY, "volumeClaimTemplates": ANY, "suspend": ANY},
    "status": ANY,
}
"""The fields of an observed workload child that the grid hooks read (hooks.protocol.partial): its name, what
each kind's status figures and readiness look at (a CronJob's ``suspend``), and a StatefulSet's stored claim
templates (hooks.grids.stored_form). Keep in step with them; kept_child decodes the whole child."""

Placement = Callable[[dict, str, str, str], dict]
"""(pod spec, key, unit, where) -> the pod spec with its pods kept on the unit's nodes (a shallow copy)."""


def in_node_selector(pod_spec: dict, key: str, unit: str, where: str) -> dict:
    """The unit in the pod ``nodeSelector``; the template's other terms are kept (its own ``key`` is replaced)."""
    node_selector = as_object(pod_spec.get("nodeSelector"), f"{where}.nodeSelector")
    return {**pod_spec, "nodeSelector": {**node_selector, key: unit}}


def is_ready(observed: Mapping | None) -> bool:
    """Ready means: observed, current (not stale), every desired replica updated and available, and no pod of
    an older revision left (``status.replicas`` counts every pod: while a new pod cannot start, the old one
    keeps serving and the counts of ready and available pods alone would call a stuck update ready)."""
    if observed is None:
        return False
    status = mapping(observed, "status")
    if not is_current(observed):
        return False
    want = desired_replicas(observed)
    ready = integer(status, "readyReplicas", 0)
    available = integer(status, "availableReplicas", ready)
    updated = integer(status, "updatedReplicas", 0)
    pods = integer(status, "replicas", updated)
    return min(ready, available, updated) >= want and pods <= updated


def is_current(observed: Mapping) -> bool:
    """Whether the child's controller has seen its newest spec (``status.observedGeneration``)."""
    generation = integer(mapping(observed, "metadata"), "generation", 0)
    seen = integer(mapping(observed, "status"), "observedGeneration")
    return seen is not None and generation is not None and seen >= generation


def no_more_checks(child: Mapping) -> None:
    """A kind whose spec needs no checks beyond the shared ones (hooks.grids.workload_checks)."""


@dataclass(frozen=True)
class WorkloadKind:
    """Everything that tells one workload grid kind from another; the engine is hooks.grids.workload_grid."""

    grid_kind: str
    kind: str
    api_version: str
    name_max: int
    status_figures: tuple[str, ...]
    """Integer fields of the child's ``status`` copied into ``status.states[unit]``."""
    pod_path: tuple[str, ...] = POD_PATH
    """Where the child's pod template is."""
    selector_path: tuple[str, ...] | None = ("spec", "selector")
    """Where the child's label selector is; None: the kind has none of its own."""
    selector_required: bool = True
    """False: the selector is optional (a CronJob's job template); when given, it gets the unit too."""
    label_paths: tuple[tuple[str, ...], ...] = ()
    """Metadata objects below the child, besides the pod template's, that get the unit label."""
    placement: Placement = in_node_selector
    ready: Callable[[Mapping | None], bool] = is_ready
    """When a unit's observed child is ready (grid status, the rollout's health, the NodeGroup view)."""
    extra_state: Callable[[Mapping], dict] = lambda observed: {}
    """Non-integer status figures the kind adds to ``status.states[unit]``."""
    counts: tuple[str, ...] = ("replicas", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds")
    """Non-negative int32 fields of the child's ``spec`` (hooks.grids.workload_checks)."""
    checks: Callable[[Mapping], None] = no_more_checks
    """The kind's own checks of a rendered child (raise ``workload_checks.Invalid``)."""
    overrides: EntryRules = field(default=WORKLOAD_RULES)
    """What the kind's ``spec.overrides`` entries may set."""

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
    overrides=EntryRules("StatefulSetGrid"),
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
    gridUniqKey annotation on the child, the unit in its selector (if the kind has one), in its pods' labels
    (and the kind's other label paths: a CronJob's job template), and the kind's placement of pods on the
    unit's nodes are (re)set here, after every override, so every child stays on its unit and sibling
    workloads never select each other's pods. Other labels and annotations are left as overrides made them.
    """
    meta = object_field(child.get("metadata"), "metadata")
    meta["name"] = name
    if parent_meta.get("namespace"):
        meta["namespace"] = parent_meta["namespace"]
    meta["labels"] = {**as_object(meta.get("labels"), "metadata.labels"), **invariant_labels(parent_meta, key, unit)}
    meta["annotations"] = {**as_object(meta.get("annotations"), "metadata.annotations"), UNIQ_KEY_ANNOTATION: key}
    out = {**child, "apiVersion": kind.api_version, "kind": kind.kind, "metadata": meta}
    changes: list[tuple[tuple[str, ...], Change]] = []
    if kind.selector_path is not None and (kind.selector_required or value_at(out, kind.selector_path) is not None):
        changes.append((kind.selector_path, lambda s, where: _with_match_label(s, key, unit, where)))
    for path in (*kind.label_paths, (*kind.pod_path, "metadata")):
        changes.append((path, lambda m, where: _with_label(m, key, unit, where)))
    changes.append(((*kind.pod_path, "spec"), lambda s, where: kind.placement(s, key, unit, where)))
    return updated_at(out, changes)


def _with_match_label(selector: dict, key: str, unit: str, where: str) -> dict:
    match = as_object(selector.get("matchLabels"), f"{where}.matchLabels")
    return {**selector, "matchLabels": {**match, key: unit}}


def _with_label(meta: dict, key: str, unit: str, where: str) -> dict:
    return {**meta, "labels": {**as_object(meta.get("labels"), f"{where}.labels"), key: unit}}


def value_at(obj: Mapping, path: tuple[str, ...]) -> object:
    """The value at ``path`` below ``obj``, or None when any level is missing or not an object."""
    node: object = obj
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


Change = Callable[[dict, str], dict]
"""(an object, its dotted path) -> a new object in its place (the argument itself is never changed)."""
_HERE = ""


def updated_at(obj: dict, changes: list[tuple[tuple[str, ...], Change]]) -> dict:
    """``obj`` with each change applied to the object at its path (in order, for changes of one path).

    Every object on the paths is copied once, however many changes lie below it; a missing one is taken as
    empty, anything but an object there is the user's error (SpecError naming the path).
    """
    tree: dict = {}
    for path, change in changes:
        node = tree
        for key in path:
            node = node.setdefault(key, {})
        node.setdefault(_HERE, []).append(change)
    return _apply(obj, tree, ())


def _apply(node: dict, tree: dict, path: tuple[str, ...]) -> dict:
    below = {}
    for key, sub in tree.items():
        if key != _HERE:
            at = (*path, key)
            below[key] = _apply(as_object(node.get(key), at), sub, at)
    if below:
        node = {**node, **below}
    changes = tree.get(_HERE)
    if changes:
        where = ".".join(path)
        for change in changes:
            node = change(node, where)
    return node


def as_object(value: object, field: str | tuple[str, ...]) -> dict:
    """An optional object field as it is (``{}`` when absent); anything but an object is the user's error.
    ``field`` names it (a path tuple is joined only for the message)."""
    if type(value) is dict:
        return value
    if value is None:
        return {}
    if not isinstance(value, dict):
        where = field if isinstance(field, str) else ".".join(field)
        raise SpecError(f"rendered child is invalid: {where} must be an object, not {type(value).__name__}")
    return value


def object_field(value: object, field: str) -> dict:
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
    """The child's key status numbers, in SuperEdge's ``states`` shape (and the kind's other figures)."""
    status = mapping(observed, "status")
    figures = {f: integer(status, f) for f in kind.status_figures}
    return {**{f: n for f, n in figures.items() if n is not None}, **kind.extra_state(observed)}
