"""Metacontroller's rule for "does this child need an update, and to what?", in Python.

``servicegroup diff`` uses it to show what an upgrade will write to each child (fields added, changed and
removed); the unit suite and the real-cluster layer use it to check that a rendered child, once stored,
never makes Metacontroller update it again.

Read from Metacontroller v4.17.2 with its default ``--apply-strategy=dynamic-apply``:

- pkg/controller/composite/controller.go (sync): with ``generateSelector: true`` every desired child gets
  the label ``controller-uid: <parent uid>`` unless it already has one.
- pkg/controller/common/manage_children.go, ``DynamicApply.Apply``: on create, the desired object (with that
  label) is recorded as JSON in the annotation ``metacontroller.k8s.io/last-applied-configuration``
  (``SetLastApplied``), then the owner reference is added, then it is created. On each later sync
  ``ApplyUpdate(observed, desired)`` computes the object it would write, and an update is sent exactly when
  that is not ``reflect.DeepEqual`` to the observed object (``DeepEqual`` in common/equality.go).
- ``ApplyUpdate``: the last-applied annotation is removed from desired; ``apply.Merge(observed,
  lastApplied, desired)``; the ObjectMeta system fields and ``status`` are reverted to the observed values;
  the annotation is set to the JSON of desired (Go ``json.Marshal``).
- pkg/dynamic/apply/apply.go, ``merge``: objects merge key by key (keys in last-applied but not in desired
  are deleted, keys in desired are merged recursively); a list whose items (in observed, last-applied and
  desired alike) are all objects sharing one of the keys ``containerPort, port, mountPath, name, uid, ip,
  path`` (first match wins) merges as a map keyed by it; **any other list is replaced whole by desired**;
  scalars take the desired value. A last-applied or desired value of the wrong type counts as absent
  (the Go type assertion yields nil).

Numbers: the API server's objects and the hook's answer are both decoded by apimachinery's unstructured
JSON (integers as int64, others as float64), so 1 and 1.0 differ; Python's json keeps the same distinction,
and ``go_equal`` compares types as reflect.DeepEqual does.
"""

from __future__ import annotations

import copy
import json
from typing import Any

LAST_APPLIED = "metacontroller.k8s.io/last-applied-configuration"
MERGE_KEYS = ("containerPort", "port", "mountPath", "name", "uid", "ip", "path")
SYSTEM_FIELDS = (
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
)


def go_json(value: Any) -> str:
    """JSON as Go's encoding/json writes a map: sorted keys, no spaces, HTML characters escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


def go_equal(a: Any, b: Any) -> bool:
    """reflect.DeepEqual over decoded JSON: same types (int is not float, bool is not int), same values."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(go_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(go_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _merge_key_text(value: Any) -> str:
    """fmt.Sprintf("%v") of a merge key value (apply.go stringMergeKey)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return "<nil>" if value is None else str(value)


def _as(kind: type, value: Any) -> Any:
    """The Go type assertion ``value.(kind)``: the value if it has that type, else nil."""
    return value if isinstance(value, kind) else None


def _merge(destination: Any, last: Any, desired: Any) -> Any:
    if isinstance(destination, dict):
        return _merge_object(destination, _as(dict, last), _as(dict, desired))
    if isinstance(destination, list):
        return _merge_array(destination, _as(list, last), _as(list, desired))
    return desired


def _merge_object(destination: dict, last: dict | None, desired: dict | None) -> dict:
    desired = desired or {}
    for key in last or {}:
        if key not in desired:
            destination.pop(key, None)
    for key, value in desired.items():
        destination[key] = _merge(destination.get(key), (last or {}).get(key), value)
    return destination


def list_map_key(*lists: list | None) -> str:
    """apply.go detectListMapKey: the first known merge key every item of every list has, or ''."""
    common: set[str] | None = None
    for items in lists:
        for item in items or []:
            if not isinstance(item, dict):
                return ""
            common = set(item) if common is None else common & set(item)
    return next((key for key in MERGE_KEYS if common and key in common), "")


def _merge_array(destination: list, last: list | None, desired: list | None) -> Any:
    key = list_map_key(destination, last, desired)
    if not key:
        return desired  # "It's a normal array. Just replace for now."
    as_map = lambda items: {_merge_key_text(item[key]): item for item in items or []}  # noqa: E731
    merged = _merge_object(as_map(destination), as_map(last), as_map(desired))
    out, added = [], set()
    for item in [*destination, *(desired or [])]:
        name = _merge_key_text(item[key])
        if name in merged and name not in added:
            out.append(merged[name])
            added.add(name)
    return out


def with_generated_selector(desired: dict, parent_uid: str) -> dict:
    """The desired child as Metacontroller applies it: ``controller-uid`` label added when missing."""
    out = copy.deepcopy(desired)
    labels = out.setdefault("metadata", {}).setdefault("labels", {})
    labels.setdefault("controller-uid", parent_uid)
    return out


def apply_update(observed: dict, desired: dict) -> dict:
    """common.ApplyUpdate: the object Metacontroller would write for ``desired`` given ``observed``."""
    annotations = observed.get("metadata", {}).get("annotations") or {}
    last = json.loads(annotations[LAST_APPLIED]) if annotations.get(LAST_APPLIED) else None
    update = copy.deepcopy(desired)
    update_annotations = update.get("metadata", {}).get("annotations")
    if update_annotations is not None:
        update_annotations.pop(LAST_APPLIED, None)
    new = _merge(copy.deepcopy(observed), last, update)
    for name in SYSTEM_FIELDS:
        _revert(new, observed, "metadata", name)
    _revert(new, observed, "status")
    new.setdefault("metadata", {})
    if new["metadata"].get("annotations") is None:
        new["metadata"]["annotations"] = {}
    new["metadata"]["annotations"][LAST_APPLIED] = go_json(update)
    return new


def _revert(new: dict, observed: dict, *path: str) -> None:
    """Give ``new`` the observed value at ``path``, or remove it there when observed has none."""
    source: Any = observed
    for part in path:
        source = source.get(part) if isinstance(source, dict) else None
        if source is None:
            break
    parent = new
    for part in path[:-1]:
        parent = parent.setdefault(part, {})
    if source is None:
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = copy.deepcopy(source)


def needs_update(observed: dict, desired: dict, parent_uid: str) -> bool:
    """Whether Metacontroller would send an update for this child (``desired`` as the hook answered it)."""
    return not go_equal(apply_update(observed, with_generated_selector(desired, parent_uid)), observed)
