"""Is a rendered workload (Deployment, StatefulSet, DaemonSet, CronJob) well formed? Checked per unit, before
the child is sent.

Templates, pool entries and overrides (RFC 6902 patches above all) can produce any
JSON. A child the API server would refuse fails Metacontroller's whole sync for every
site, and one it would accept but cannot run (an unpullable image reference, a
selector that does not select its own pods) breaks a site quietly. So each child is
checked here and a bad one becomes an error for its unit only (its observed child is
kept). The checks cover what templates and overrides commonly get wrong; they are
not the full Kubernetes validation (see docs/overrides.md for the list).

Runs once per unit, so it is plain dict and isinstance work, no schema engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from hooks.grids.children import SERVER_METADATA
from hooks.kube.errors import SpecError
from hooks.kube.images import image_error
from hooks.kube.names import DNS1123_LABEL, is_label_value, label_key_error
from hooks.kube.selectors import matches, validate_selector

if TYPE_CHECKING:
    from hooks.grids.workload import WorkloadKind

TOP_LEVEL = frozenset({"apiVersion", "kind", "metadata", "spec"})
CLIENT_METADATA = frozenset({"name", "namespace", "labels", "annotations", "finalizers"})
COUNTS = ("replicas", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds")
INT32_MAX = 2**31 - 1


class Invalid(Exception):
    """A problem at one path of the child; turned into a SpecError naming the path."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}")


class CheckedContainers:
    """Container lists already found well-formed during one sync.

    Units share the template's container lists unless an override changes them (children are built by path
    copying), so each distinct list is checked once rather than once per unit. The lists themselves are held
    here, so their ids cannot be reused by other objects while this record lives.
    """

    def __init__(self) -> None:
        self._lists: dict[tuple[int, int], tuple[object, object]] = {}

    def seen(self, init: object, containers: object) -> bool:
        return (id(init), id(containers)) in self._lists

    def add(self, init: object, containers: object) -> None:
        self._lists[(id(init), id(containers))] = (init, containers)


def check_workload(child: Mapping, checked: CheckedContainers | None = None, kind: WorkloadKind | None = None) -> None:
    """Raise SpecError naming the first problem that makes ``child`` not a well-formed workload of ``kind``
    (default: a Deployment or StatefulSet, told apart by the child's ``kind``)."""
    try:
        _check_top_level(child)
        check_metadata(child["metadata"], "metadata")
        spec = child["spec"]
        _check_counts(spec, kind.counts if kind is not None else COUNTS)
        pod_path = kind.pod_path if kind is not None else ("spec", "template")
        pod = object_at(_at(child, pod_path), ".".join(pod_path))
        pod_labels = _check_pod_template(pod, checked or CheckedContainers(), ".".join(pod_path))
        selector_path = kind.selector_path if kind is not None else ("spec", "selector")
        required = kind.selector_required if kind is not None else True
        if selector_path is not None and (required or _at(child, selector_path) is not None):
            _check_selector(_at(child, selector_path), pod_labels, ".".join(selector_path))
        if child.get("kind") == "StatefulSet":
            _check_statefulset(spec)
        if kind is not None:
            kind.checks(child)
    except Invalid as err:
        raise SpecError(f"rendered child is invalid: {err}") from None


def _at(child: Mapping, path: tuple[str, ...]) -> object:
    """The value at ``path``; every level above it must be an object (Invalid names the first that is not)."""
    node: object = child
    for depth, key in enumerate(path):
        node = object_at(node, ".".join(path[:depth]) or "the child").get(key)
    return node


def _check_top_level(child: Mapping) -> None:
    extra = sorted(set(child) - TOP_LEVEL)
    if extra:
        raise Invalid(extra[0], "a desired child may only hold apiVersion, kind, metadata and spec")
    object_at(child.get("metadata"), "metadata")
    object_at(child.get("spec"), "spec")


def check_metadata(meta: Mapping, where: str) -> None:
    for key in meta:
        if key not in CLIENT_METADATA:
            owner = "server-owned" if key in SERVER_METADATA else "not settable here"
            raise Invalid(f"{where}.{key}", f"field is {owner}")
    _check_labels(meta.get("labels"), f"{where}.labels")
    _check_annotations(meta.get("annotations"), f"{where}.annotations")
    finalizers = meta.get("finalizers")
    if finalizers is not None and not _is_list_of_str(finalizers):
        raise Invalid(f"{where}.finalizers", "must be a list of strings")


def _check_labels(labels: object, where: str) -> dict:
    if labels is None:
        return {}
    object_at(labels, where)
    for key, value in labels.items():
        problem = _label_problem(key, value) if isinstance(value, str) else f"{value!r} is not a valid label value"
        if problem:
            raise Invalid(f"{where}[{key}]", problem)
    return labels


@lru_cache(maxsize=16384)
def _label_problem(key: str, value: str) -> str | None:
    """Cached: every unit's child repeats the same labels, give or take the unit value."""
    problem = _key_problem(key)
    if problem:
        return f"invalid label key: {problem}"
    if not is_label_value(value):
        return f"{value!r} is not a valid label value"
    return None


def _check_annotations(annotations: object, where: str) -> None:
    if annotations is None:
        return
    object_at(annotations, where)
    for key, value in annotations.items():
        problem = _key_problem(key)
        if problem:
            raise Invalid(f"{where}[{key}]", f"invalid annotation key: {problem}")
        if not isinstance(value, str):
            raise Invalid(f"{where}[{key}]", f"value must be a string, got {value!r}")


@lru_cache(maxsize=4096)
def _key_problem(key: object) -> str | None:
    return label_key_error(key)


def _check_counts(spec: Mapping, counts: tuple[str, ...]) -> None:
    for name in counts:
        if name in spec and not is_count(spec[name]):
            raise Invalid(f"spec.{name}", f"must be an integer from 0 to {INT32_MAX}, got {spec[name]!r}")
    if "paused" in spec and not isinstance(spec["paused"], bool):
        raise Invalid("spec.paused", "must be true or false")


def _check_selector(selector: object, pod_labels: Mapping, where: str = "spec.selector") -> None:
    try:
        checked = validate_selector(selector, where)
    except SpecError as err:
        raise Invalid(where, str(err)) from None
    if not checked:
        raise Invalid(where, "must not be empty")
    if not matches(checked, pod_labels):
        raise Invalid(where, "does not match the pod template's labels")


def _check_pod_template(pod: Mapping, checked: CheckedContainers, where: str = "spec.template") -> dict:
    """Check the pod template at ``where``; return its labels (the selector must match them)."""
    meta = object_at(pod.get("metadata") or {}, f"{where}.metadata")
    labels = _check_labels(meta.get("labels"), f"{where}.metadata.labels")
    _check_annotations(meta.get("annotations"), f"{where}.metadata.annotations")
    pod_spec = object_at(pod.get("spec"), f"{where}.spec")
    containers = pod_spec.get("containers")
    if not isinstance(containers, list) or not containers:
        raise Invalid(f"{where}.spec.containers", "must be a non-empty list")
    init = pod_spec.get("initContainers")
    if not checked.seen(init, containers):
        _check_containers(pod_spec, f"{where}.spec")
        checked.add(init, containers)
    node_selector = pod_spec.get("nodeSelector")
    if node_selector is not None and not all(isinstance(v, str) for v in node_selector.values()):
        raise Invalid(f"{where}.spec.nodeSelector", "values must be strings")
    return labels


def _check_containers(pod_spec: Mapping, where: str) -> None:
    names: set[str] = set()
    for list_name in ("initContainers", "containers"):
        for place, container in objects(pod_spec.get(list_name), f"{where}.{list_name}"):
            _check_container(container, place, names)


def _check_container(container: dict, where: str, names: set[str]) -> None:
    name = container.get("name")
    if not isinstance(name, str) or len(name) > 63 or not DNS1123_LABEL.match(name):
        raise Invalid(f"{where}.name", f"must be a DNS-1123 label (lower-case, at most 63), got {name!r}")
    if name in names:
        raise Invalid(f"{where}.name", f"{name!r} is used by another container of this pod")
    names.add(name)
    problem = image_error(container.get("image"))
    if problem:
        raise Invalid(f"{where}.image", problem)
    _check_env(container.get("env"), f"{where}.env")
    _check_ports(container.get("ports"), f"{where}.ports")


MERGE_COLLAPSE = (
    "Metacontroller's default apply merges this list by {key}, so two items with one {key} collapse into one "
    "on every update of an existing child (an update per sync, and a changed list)"
)


def _check_env(env: object, where: str) -> None:
    names: set[str] = set()
    for place, var in objects(env, where):
        if not isinstance(var.get("name"), str) or not var["name"]:
            raise Invalid(f"{place}.name", "must be a non-empty string")
        if var["name"] in names:
            hint = "; use a patch `replace` rather than `add` to change a variable"
            raise Invalid(f"{place}.name", f"{var['name']!r} is set twice: {MERGE_COLLAPSE.format(key='name')}{hint}")
        names.add(var["name"])
        if "value" in var and not isinstance(var["value"], str):
            raise Invalid(f"{place}.value", f"must be a string (quote numbers), got {var['value']!r}")
        if "valueFrom" in var and not isinstance(var["valueFrom"], dict):
            raise Invalid(f"{place}.valueFrom", "must be an object")


def _check_ports(ports: object, where: str) -> None:
    numbers: set[int] = set()
    for place, port in objects(ports, where):
        number = port.get("containerPort")
        if not is_count(number) or not 1 <= number <= 65535:
            raise Invalid(f"{place}.containerPort", f"must be an integer from 1 to 65535, got {number!r}")
        if number in numbers:
            hint = "; list the number once (containerPort entries are informational: other protocols still reach it)"
            raise Invalid(
                f"{place}.containerPort",
                f"{number} is listed twice: {MERGE_COLLAPSE.format(key='containerPort')}{hint}",
            )
        numbers.add(number)


def objects(value: object, where: str) -> list[tuple[str, dict]]:
    """The items of an optional list-of-objects field, each with its place for error messages."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(where, "must be a list")
    return [(f"{where}[{i}]", object_at(item, f"{where}[{i}]")) for i, item in enumerate(value)]


def _check_statefulset(spec: Mapping) -> None:
    if "serviceName" in spec and not isinstance(spec["serviceName"], str):
        raise Invalid("spec.serviceName", "must be a string")
    for place, claim in objects(spec.get("volumeClaimTemplates"), "spec.volumeClaimTemplates"):
        meta = object_at(claim.get("metadata"), f"{place}.metadata")
        if not isinstance(meta.get("name"), str) or not meta["name"]:
            raise Invalid(f"{place}.metadata.name", "must be a non-empty string")


def object_at(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise Invalid(where, f"must be an object, got {type(value).__name__}")
    return value


def is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= INT32_MAX


def _is_list_of_str(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
