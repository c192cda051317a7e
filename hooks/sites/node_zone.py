"""Node zone decorator: copy each Node's unit label into ``topology.kubernetes.io/zone``.

kube-proxy keeps a Service's traffic in the caller's zone (``trafficDistribution:
PreferClose`` / ``PreferSameZone``) only when nodes carry the zone label. Edge
sites are named by another label (the grids' ``gridUniqKey``), so this
DecoratorController hook mirrors it into the zone label.

Ownership is tracked on the node itself: :data:`ZONE_SET_ANNOTATION` records the
value this hook set. A zone label that does not match that record belongs to
someone else (a cloud provider, an operator) and is never changed or removed;
the disagreement is reported in :data:`CONFLICT_ANNOTATION` instead.

The answer uses only the DecoratorController response keys ``labels`` and
``annotations`` (a ``null`` value removes a key) and, for a finalize call,
``finalized``; it never sends ``status``, so the Node's status is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hooks.kube.errors import RequestError
from hooks.kube.names import label_key_error
from hooks.protocol.request import decorated_object, require_object

ZONE_LABEL = "topology.kubernetes.io/zone"
SOURCE_KEY_ANNOTATION = "superedge.io/unit-label-key"
ZONE_SET_ANNOTATION = "superedge.io/zone-set-by-decorator"
CONFLICT_ANNOTATION = "superedge.io/zone-conflict"


@dataclass(frozen=True)
class ZoneAnswer:
    """The hook response, plus messages the HTTP layer logs (the pure core never logs)."""

    response: dict
    warnings: tuple[str, ...] = ()


def sync(request: object) -> ZoneAnswer:
    """Sync (and finalize) hook of the node zone DecoratorController."""
    node = decorated_object(request)
    node_name = node["metadata"]["name"]
    controller = require_object(request, "controller")
    ctl_meta = controller.get("metadata") if isinstance(controller.get("metadata"), dict) else {}
    ctl_name = ctl_meta.get("name", "?")
    ctl_annotations = ctl_meta.get("annotations")
    source_key = ctl_annotations.get(SOURCE_KEY_ANNOTATION) if isinstance(ctl_annotations, dict) else None
    if source_key is None:
        return _unchanged(
            f"DecoratorController {ctl_name} has no annotation {SOURCE_KEY_ANNOTATION}; node {node_name} left unchanged"
        )
    problem = label_key_error(source_key)
    if problem:
        return _unchanged(
            f"DecoratorController {ctl_name}: annotation {SOURCE_KEY_ANNOTATION}={source_key!r} is not a label key "
            f"({problem}); node {node_name} left unchanged"
        )
    finalizing = request.get("finalizing") is True
    labels, annotations = zone_changes(node["metadata"], source_key, finalizing)
    response: dict = {"labels": labels, "annotations": annotations}
    if finalizing:
        response["finalized"] = True
    return ZoneAnswer(response)


def zone_changes(meta: Mapping, source_key: str, finalizing: bool = False) -> tuple[dict, dict]:
    """Label and annotation changes (``None`` = remove) that bring one Node's zone in line with its unit.

    Only keys whose value must change are returned, so a Node already in line
    gets two empty maps and Metacontroller writes nothing.
    """
    labels = _string_map(meta.get("labels"))
    annotations = _string_map(meta.get("annotations"))
    unit = None if finalizing else labels.get(source_key) or None
    zone = labels.get(ZONE_LABEL)
    recorded = annotations.get(ZONE_SET_ANNOTATION)
    ours = recorded is not None and zone == recorded

    want_zone, want_record, conflict = zone, None, None
    if unit is not None and (zone is None or ours):
        want_zone, want_record = unit, unit
    elif unit is not None and zone != unit:
        conflict = (
            f"label {ZONE_LABEL}={zone} was not set by the zone decorator and is left as is; "
            f"the unit label {source_key}={unit} was not copied"
        )
    elif unit is None and ours:
        want_zone = None
    desired_labels = {ZONE_LABEL: want_zone}
    desired_annotations = {ZONE_SET_ANNOTATION: want_record, CONFLICT_ANNOTATION: conflict}
    return _diff(labels, desired_labels), _diff(annotations, desired_annotations)


def _string_map(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RequestError("node labels and annotations must be JSON objects")
    return {k: v for k, v in value.items() if isinstance(v, str)}


def _diff(current: Mapping[str, str], desired: Mapping[str, str | None]) -> dict:
    """The entries of ``desired`` that differ from ``current``; ``None`` only for keys that exist."""
    return {k: v for k, v in desired.items() if current.get(k) != v and (v is not None or k in current)}


def _unchanged(warning: str) -> ZoneAnswer:
    return ZoneAnswer({"labels": {}, "annotations": {}}, (warning,))
