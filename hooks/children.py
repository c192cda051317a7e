"""Labels, annotations and the keep-as-is rule shared by every kind of child.

Children are built by copying only the paths that change ("path copying"):
the template's untouched subtrees are shared with the output rather than
deep-copied, because the response is serialised straight away and nothing
mutates them. Anything that edits a child in depth (patches) must copy first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from hooks.names import label_safe
from hooks.partial import whole

GRID_SELECTOR_LABEL = "superedge.io/grid-selector"
UNIQ_KEY_ANNOTATION = "superedge.io/grid-uniq-key"
METACONTROLLER_LAST_APPLIED = "metacontroller.k8s.io/last-applied-configuration"
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


def child_labels(parent_meta: Mapping, key: str, unit: str | None) -> dict:
    """The grid's labels plus the grid selector label and, for a unit child, ``key: unit``."""
    labels = {k: v for k, v in (parent_meta.get("labels") or {}).items() if isinstance(v, str)}
    labels[GRID_SELECTOR_LABEL] = label_safe(parent_meta["name"])
    if unit is not None:
        labels[key] = unit
    return labels


def child_annotations(parent_meta: Mapping, key: str) -> dict:
    """The grid's annotations minus apply bookkeeping, plus the gridUniqKey record."""
    annotations = {
        k: v
        for k, v in (parent_meta.get("annotations") or {}).items()
        if isinstance(v, str) and not k.startswith(NOT_COPIED_PREFIXES)
    }
    annotations[UNIQ_KEY_ANNOTATION] = key
    return annotations


def kept_child(observed: Mapping) -> dict:
    """What to send so Metacontroller leaves an observed child exactly as it is.

    Metacontroller records what it last applied in an annotation; sending that
    again is a no-op for its three-way merge. Without it (adopted objects,
    server-side apply), send the live object minus status and server-owned
    metadata, which also changes nothing.
    """
    observed = whole(observed)
    meta = observed.get("metadata") or {}
    recorded = (meta.get("annotations") or {}).get(METACONTROLLER_LAST_APPLIED)
    if isinstance(recorded, str):
        try:
            last = json.loads(recorded)
        except ValueError:
            last = None
        if isinstance(last, dict) and isinstance(last.get("metadata"), dict):
            return last
    live = {k: v for k, v in observed.items() if k != "status"}
    live["metadata"] = {k: v for k, v in meta.items() if k not in SERVER_METADATA}
    return live
