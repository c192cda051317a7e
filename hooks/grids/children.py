"""Labels, annotations and the keep-as-is rule shared by every kind of child.

Children are built by copying only the paths that change ("path copying"):
the template's untouched subtrees are shared with the output rather than
deep-copied, because the response is serialised straight away and nothing
mutates them. Anything that edits a child in depth (patches) must copy first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hooks.kube.metacontroller_apply import LAST_APPLIED as METACONTROLLER_LAST_APPLIED
from hooks.kube.names import label_safe
from hooks.kube.objects import mapping, string_map
from hooks.protocol.codec import loads_text
from hooks.protocol.partial import ANY, TEXT, field_paths, whole, whole_unless_holding

GRID_SELECTOR_LABEL = "superedge.io/grid-selector"
UNIQ_KEY_ANNOTATION = "superedge.io/grid-uniq-key"
NOT_COPIED_PREFIXES = ("kubectl.kubernetes.io/last-applied-configuration", "metacontroller.k8s.io/")
SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
    "ownerReferences",
)


def grid_labels(parent_meta: Mapping) -> dict:
    """The grid's own labels, which children inherit (overrides may change them; invariants are separate)."""
    return string_map(parent_meta, "labels")


def invariant_labels(parent_meta: Mapping, key: str, unit: str | None) -> dict:
    """The labels no override may change: the grid selector label and, for a unit child, ``key: unit``."""
    labels = {GRID_SELECTOR_LABEL: label_safe(parent_meta["name"])}
    if unit is not None:
        labels[key] = unit
    return labels


def child_labels(parent_meta: Mapping, key: str, unit: str | None) -> dict:
    """The grid's labels plus the grid selector label and, for a unit child, ``key: unit``."""
    return {**grid_labels(parent_meta), **invariant_labels(parent_meta, key, unit)}


def grid_annotations(parent_meta: Mapping) -> dict:
    """The grid's annotations minus apply bookkeeping, which children inherit."""
    own = string_map(parent_meta, "annotations")
    return {k: v for k, v in own.items() if not k.startswith(NOT_COPIED_PREFIXES)}


def child_annotations(parent_meta: Mapping, key: str) -> dict:
    """The grid's annotations minus apply bookkeeping, plus the gridUniqKey record."""
    return {**grid_annotations(parent_meta), UNIQ_KEY_ANNOTATION: key}


def kept_child(observed: Mapping) -> dict:
    """What to send so Metacontroller leaves an observed child exactly as it is.

    Metacontroller records what it last applied in an annotation; sending that
    again is a no-op for its three-way merge, except for a field someone else
    changed since: ``spec.replicas``, which an autoscaler or ``kubectl scale``
    sets, is therefore sent as observed when the record holds it (and still left
    out when it does not, so Metacontroller never starts owning it). Without a
    record (adopted objects, server-side apply), send the live object minus
    status, server-owned metadata and top-level nulls (the API server stores
    none, and a null sent in a desired object would ask Metacontroller to clear
    the field), which also changes nothing.

    With a record only :data:`RECORD_FIELDS` are read, so a reduced child that holds them is not decoded in
    full: a rollout keeps most children of a large fleet as they are, on every sync.
    """
    reduced = whole_unless_holding(observed, RECORD_PATHS)
    last = applied_record(reduced)
    if last is not None:
        return _with_observed_replicas(last, reduced)
    observed = whole(observed)
    meta = mapping(observed, "metadata")
    live = {k: v for k, v in observed.items() if k != "status" and v is not None}
    live["metadata"] = {k: v for k, v in meta.items() if k not in SERVER_METADATA and v is not None}
    return live


RECORD_FIELDS = {
    "apiVersion": TEXT,
    "kind": TEXT,
    "metadata": {"name": TEXT, "annotations": {METACONTROLLER_LAST_APPLIED: TEXT}},
    "spec": {"replicas": ANY},
}
"""What :func:`kept_child` reads of an observed child that carries Metacontroller's record of it: a route that
declares these (hooks.protocol.partial) sends such a child back without decoding it in full."""
RECORD_PATHS = field_paths(RECORD_FIELDS)


def applied_record(observed: Mapping) -> dict | None:
    """Metacontroller's record of what it last applied to ``observed``, when it is one of this very object."""
    recorded = mapping(mapping(observed, "metadata"), "annotations").get(METACONTROLLER_LAST_APPLIED)
    if not isinstance(recorded, str):
        return None
    try:
        last = loads_text(recorded)
    except ValueError:
        return None
    return last if _same_object(last, observed) else None


def _with_observed_replicas(recorded: dict, observed: Mapping) -> dict:
    spec, now = recorded.get("spec"), mapping(observed, "spec").get("replicas")
    if not isinstance(spec, dict) or "replicas" not in spec or now is None or spec["replicas"] == now:
        return recorded
    return {**recorded, "spec": {**spec, "replicas": now}}


def _same_object(recorded: object, observed: Mapping) -> bool:
    """Whether a last-applied record describes ``observed`` itself (it may have been edited or copied)."""
    if not isinstance(recorded, dict):
        return False
    name = mapping(recorded, "metadata").get("name")
    same_type = all(recorded.get(k) == observed.get(k) for k in ("apiVersion", "kind"))
    return same_type and isinstance(name, str) and name == mapping(observed, "metadata").get("name")


def kept_children(observed: Iterable[Mapping]) -> list[dict]:
    """Every observed child that has a name, kept as it is (:func:`kept_child`), sorted by kind and name.

    An object without a usable name cannot be sent back (Metacontroller could not match it), so it is left out.
    """
    named = [o for o in observed if isinstance(mapping(o, "metadata").get("name"), str)]
    return sorted((kept_child(o) for o in named), key=child_order)


def observed_units(observed: Iterable[Mapping], key: str) -> dict[str, str]:
    """Child name -> the unit an observed child says it is for (its ``key`` label), for the naming rule.

    Children without a name or a non-empty unit label are left out.
    """
    out: dict[str, str] = {}
    for child in observed:
        meta = mapping(child, "metadata")
        name, unit = meta.get("name"), mapping(meta, "labels").get(key)
        if isinstance(name, str) and isinstance(unit, str) and unit:
            out[name] = unit
    return out


def child_order(child: Mapping) -> tuple[str, str]:
    """Children are answered sorted by kind and name, so the same request gives the same bytes."""
    return (str(child.get("kind", "")), str(mapping(child, "metadata").get("name", "")))
