"""Metacontroller's create and compare steps for the tests: children stored as Metacontroller stores them.

The merge rule itself (what an update writes, ``needs_update``) is ``hooks.kube.metacontroller_apply``,
which ``servicegroup diff`` uses too; this module adds what only tests need: the object Metacontroller
creates, the stored form of a created child, and readable differences for failure messages.
"""

from __future__ import annotations

import json
from typing import Any

from hooks.kube.metacontroller_apply import (
    LAST_APPLIED,
    apply_update,
    go_equal,
    go_json,
    list_map_key,
    needs_update,
    with_generated_selector,
)

__all__ = [
    "LAST_APPLIED",
    "apply_update",
    "as_created",
    "as_stored",
    "controller_ref",
    "difference",
    "go_equal",
    "go_json",
    "list_map_key",
    "needs_update",
    "with_generated_selector",
]


def controller_ref(parent: dict) -> dict:
    """The owner reference Metacontroller puts on each child: the parent as its controller."""
    return {
        "apiVersion": parent["apiVersion"],
        "kind": parent["kind"],
        "name": parent["metadata"]["name"],
        "uid": parent["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def as_created(desired: dict, parent: dict) -> dict:
    """The object Metacontroller sends when it creates ``desired`` (DynamicApply.Apply, create branch)."""
    out = with_generated_selector(desired, parent["metadata"]["uid"])
    out["metadata"].setdefault("annotations", {})[LAST_APPLIED] = go_json(out)
    out["metadata"]["ownerReferences"] = [*out["metadata"].get("ownerReferences", []), controller_ref(parent)]
    return out


def as_stored(desired: dict, stored: dict, parent_uid: str) -> dict:
    """The child after Metacontroller created ``desired`` and the API server stored it as ``stored`` (the API
    server's defaults applied): ``stored`` with the generated-selector label and the last-applied record."""
    sent = with_generated_selector(desired, parent_uid)
    out = with_generated_selector(stored, parent_uid)
    out["metadata"].setdefault("annotations", {})[LAST_APPLIED] = go_json(sent)
    return out


def difference(observed: dict, desired: dict, parent_uid: str) -> list[str]:
    """Paths where the would-be update differs from the observed object (for failure messages)."""
    new = apply_update(observed, with_generated_selector(desired, parent_uid))
    return _diff_paths(observed, new, "")


def _diff_paths(a: Any, b: Any, path: str) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(a.keys() | b.keys()):
            sub = f"{path}.{key}"
            if key not in a or key not in b:
                shown = b.get(key) if key in b else a.get(key)
                out.append(f"{sub}: {'only in the update' if key in b else 'only stored'}: {json.dumps(shown)[:300]}")
            else:
                out.extend(_diff_paths(a[key], b[key], sub))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _diff_paths(x, y, f"{path}[{i}]")]
    if go_equal(a, b):
        return []
    return [f"{path}: stored {json.dumps(a)[:300]} / update {json.dumps(b)[:300]}"]
