"""A test model of Metacontroller's default child update decision (``--apply-strategy=dynamic-apply``).

Written from Metacontroller v4.17.2's source (pkg/dynamic/apply/apply.go, pkg/controller/common/
manage_children.go ``ApplyUpdate`` and ``DynamicApply.Apply``): a three-way merge of observed, last applied
and desired, system metadata and status reverted to the observed values, the last-applied annotation set to
the desired object, then a strict deep comparison with the observed object. An inequality is an update (a PUT
with ``InPlace``). Lists are merged by the first of a few key fields that every item of all three lists has,
else replaced whole. Used to show that a quiet grid's children cause no update.
"""

from __future__ import annotations

import copy
import json

LAST_APPLIED = "metacontroller.k8s.io/last-applied-configuration"
MERGE_KEYS = ("containerPort", "port", "mountPath", "name", "uid", "ip", "path")
SYSTEM_METADATA = (
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
)


def _key_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def merge(dest: object, last: object, desired: object) -> object:
    if isinstance(dest, dict):
        return _merge_object(dest, last if isinstance(last, dict) else {}, desired if isinstance(desired, dict) else {})
    if isinstance(dest, list):
        return _merge_list(dest, last if isinstance(last, list) else [], desired if isinstance(desired, list) else None)
    return desired


def _merge_object(dest: dict, last: dict, desired: dict) -> dict:
    for key in last:
        if key not in desired:
            dest.pop(key, None)
    for key, value in desired.items():
        dest[key] = merge(dest.get(key), last.get(key), value)
    return dest


def list_key(*lists: list | None) -> str:
    """The key field Metacontroller would merge these lists by, or "" (replace whole)."""
    common: set[str] | None = None
    for items in lists:
        for item in items or []:
            if not isinstance(item, dict):
                return ""
            common = set(item) if common is None else common & set(item)
    return next((k for k in MERGE_KEYS if common and k in common), "")


def _merge_list(dest: list, last: list, desired: list | None) -> object:
    key = list_key(dest, last, desired)
    if not key:
        return desired
    by_dest = {_key_text(i[key]): i for i in dest}
    _merge_object(by_dest, {_key_text(i[key]): i for i in last}, {_key_text(i[key]): i for i in desired or []})
    out, added = [], set()
    for item in dest:
        k = _key_text(item[key])
        if k in by_dest:
            out.append(by_dest[k])
            added.add(k)
    for item in desired or []:
        k = _key_text(item[key])
        if k not in added:
            out.append(by_dest[k])
            added.add(k)
    return out


def strictly_equal(a: object, b: object) -> bool:
    """reflect.DeepEqual over JSON values: types must match (1 is not 1.0, True is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strictly_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(strictly_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def applied(desired: dict, stored: dict) -> dict:
    """The object as it sits in the cluster after Metacontroller created it: ``stored`` plus the record."""
    live = copy.deepcopy(stored)
    live.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = json.dumps(desired)
    return live


def would_update(observed: dict, desired: dict) -> bool:
    """Whether Metacontroller (InPlace) would send an update for ``desired`` given the ``observed`` child."""
    want = copy.deepcopy(desired)
    want.get("metadata", {}).get("annotations", {}).pop(LAST_APPLIED, None)
    record = observed.get("metadata", {}).get("annotations", {}).get(LAST_APPLIED)
    merged = merge(copy.deepcopy(observed), json.loads(record) if record else None, want)
    for field in SYSTEM_METADATA:
        if field in observed.get("metadata", {}):
            merged["metadata"][field] = observed["metadata"][field]
        else:
            merged["metadata"].pop(field, None)
    if "status" in observed:
        merged["status"] = observed["status"]
    else:
        merged.pop("status", None)
    merged["metadata"].setdefault("annotations", {})[LAST_APPLIED] = json.dumps(want)
    return not strictly_equal(_canonical_record(merged), _canonical_record(observed))


def _canonical_record(obj: dict) -> dict:
    """Compare the last-applied records as JSON values (Go and Python print them with different spacing)."""
    out = copy.deepcopy(obj)
    annotations = out.get("metadata", {}).get("annotations", {})
    if LAST_APPLIED in annotations:
        annotations[LAST_APPLIED] = json.loads(annotations[LAST_APPLIED])
    return out
