"""ConfigMapGrid: one ConfigMap per unit, its data rendered per site from ``spec.data`` / ``spec.binaryData``.

The kind supplies only how to read its spec and render its children; sites, naming, kept children, the
grace period, unlisted units, limits and status come from the shared engine (hooks.grids.grid_sync).

Per unit: the template's keys (``{{unit}}`` in a ``data`` value becomes the unit value) -> ``overrides``
entries in order (``data`` and ``binaryData`` set keys, ``patch`` is RFC 6902 on the whole ConfigMap, as for
the other kinds) -> the invariants (name, namespace, labels, the gridUniqKey annotation) -> the checks of a
ConfigMap the API server would refuse. Every child carries the label ``superedge.io/configmap-grid`` naming
its grid: that is how workload grids of the same ServiceGroup find a unit's ConfigMap
(hooks.grids.config_refs).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass

from hooks.grids import grid_sync
from hooks.grids.applied import track, with_applied, with_resync
from hooks.grids.children import UNIQ_KEY_ANNOTATION, child_order, grid_annotations, grid_labels, invariant_labels
from hooks.grids.grid_status import grid_status, synced_condition
from hooks.grids.limits import measured, with_limit_reason
from hooks.grids.overrides import (
    EntryRules,
    FieldRule,
    Override,
    apply_overrides,
    each_key,
    parse_overrides,
    unmatched_units,
)
from hooks.grids.workload_checks import Invalid, check_metadata
from hooks.kube.errors import SpecError
from hooks.kube.names import NAME_MAX, ChildNames, child_names, label_safe
from hooks.sites.site_spec import ANY_KEY, AllowedKeys, SiteSpec, parse_sites

CONFIGMAP_TYPE = "ConfigMap.v1"
CONFIGMAP_GRID_LABEL = "superedge.io/configmap-grid"
"""On every child: the ConfigMapGrid's name (as a label value), by which workload grids select them."""
UNIT_PLACEHOLDER = "{{unit}}"
KEY_PATTERN = re.compile(r"^[-._a-zA-Z0-9]+\Z")
TOP_LEVEL = frozenset({"apiVersion", "kind", "metadata", "data", "binaryData"})
MAPS = ("data", "binaryData")


def key_problem(key: object) -> str | None:
    """Why ``key`` cannot be a ConfigMap key (Kubernetes' rule: a file name inside the volume), or None."""
    if not isinstance(key, str) or not key:
        return f"{key!r} is not a key (a non-empty string)"
    if len(key) > 253 or not KEY_PATTERN.match(key):
        return f"key {key!r} must be at most 253 characters of [-._a-zA-Z0-9]"
    if key in (".", "..") or key.startswith(".."):
        return f"key {key!r} must not be '.', '..' or start with '..'"
    return None


def binary_problem(value: object) -> str | None:
    """Why ``value`` is not base64 exactly as the API server writes it back (padded, no line breaks), or None.

    Any other spelling of the same bytes would be stored differently from what is sent, and Metacontroller
    would update the ConfigMap on every sync."""
    if not isinstance(value, str):
        return f"must be a base64 string, got {type(value).__name__}"
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "is not valid base64"
    if base64.b64encode(decoded).decode() != value:
        return "must be base64 in canonical form (padded with '=', no line breaks)"
    return None


def check_map(value: object, where: str, binary: bool) -> dict:
    """A ``data`` (strings) or ``binaryData`` (canonical base64) map, checked key by key."""
    if not isinstance(value, dict):
        raise SpecError(f"{where} must be a map of key to {'base64 string' if binary else 'string'}")
    for key, item in value.items():
        problem = key_problem(key)
        if problem is None:
            problem = binary_problem(item) if binary else (None if isinstance(item, str) else "value must be a string")
        if problem:
            raise SpecError(f"{where}[{key}]: {problem}")
    return value


CONFIGMAP_RULES = EntryRules(
    "ConfigMapGrid",
    replicas=False,
    images=False,
    fields={
        "data": FieldRule(lambda v, where: check_map(v, where, binary=False), each_key),
        "binaryData": FieldRule(lambda v, where: check_map(v, where, binary=True), each_key),
    },
)


@dataclass(frozen=True)
class ConfigMapGridSpec:
    sites: SiteSpec
    data: dict[str, str]
    binary: dict[str, str]
    overrides: tuple[Override, ...] = ()


def parse_configmap_spec(spec: object) -> ConfigMapGridSpec:
    sites = parse_sites(spec)
    data = check_map(spec.get("data") or {}, "spec.data", binary=False)
    binary = check_map(spec.get("binaryData") or {}, "spec.binaryData", binary=True)
    both = sorted(set(data) & set(binary))
    if both:
        raise SpecError(f"spec.data and spec.binaryData both hold the key {both[0]!r}")
    measured({"data": data, "binaryData": binary}, "spec.data and spec.binaryData")
    return ConfigMapGridSpec(sites, data, binary, parse_overrides(spec.get("overrides"), CONFIGMAP_RULES))


def unit_configmap_names(grid_name: str, observed: Mapping[str, str]) -> ChildNames:
    return child_names(grid_name, observed, NAME_MAX)


def customize(request: object, allowed: AllowedKeys = ANY_KEY) -> dict:
    """The grid's sites: Nodes or NodeUnits of its key (see :func:`hooks.grids.grid_sync.customize`)."""
    return grid_sync.customize(request, parse_configmap_spec, allowed)


def sync(request: object, now: str, allowed: AllowedKeys = ANY_KEY) -> dict:
    """One ConfigMap per unit; observed ones kept on any spec error."""
    return grid_sync.sync(
        request, CONFIGMAP_TYPE, parse_configmap_spec, render_configmaps, now, unit_configmap_names, allowed
    )


def render_configmaps(
    parent: Mapping, spec: ConfigMapGridSpec, units: grid_sync.UnitSet, observed: Mapping, now: str
) -> dict:
    """Every unit's ConfigMap; a unit is ready once its ConfigMap exists (its data is what the grid renders
    for it when ``Synced`` says so: hooks.grids.applied)."""
    meta = parent["metadata"]
    placeholders = frozenset(k for k, v in spec.data.items() if UNIT_PLACEHOLDER in v)
    rendered = grid_sync.render_per_unit(
        units.all,
        observed,
        grid_sync.UnitChildren(
            name=units.name_of,
            render=lambda unit: render_configmap(meta, spec, unit, units.name_of(unit), placeholders),
            state=lambda seen: {"ready": seen is not None},
        ),
        unlisted=units.unlisted,
    )
    applied = track(rendered.pending, parent.get("status"), now)
    synced = synced_condition(
        rendered.errors, len(rendered.states), applied.overdue, rendered.unlisted, units.found.source
    )
    synced = with_limit_reason(synced, rendered.reasons)
    status = grid_status(rendered.states, synced, parent.get("status"), now, (), meta.get("creationTimestamp"))
    unmatched = unmatched_units(spec.overrides, units.all)
    if unmatched:
        status["unmatchedOverrideUnits"] = unmatched
    response = {"status": with_applied(status, applied), "children": sorted(rendered.desired, key=child_order)}
    return with_resync(response, applied.resync_after)


def render_configmap(
    parent_meta: Mapping, spec: ConfigMapGridSpec, unit: str, name: str, placeholders: frozenset[str] = frozenset()
) -> dict:
    """Template keys -> overrides in order -> invariants -> checks. ``placeholders``: the ``data`` keys whose
    value holds ``{{unit}}`` (the other values are shared with the spec, not copied)."""
    data = dict(spec.data)
    for key in placeholders:
        data[key] = data[key].replace(UNIT_PLACEHOLDER, unit)
    child: dict = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": grid_labels(parent_meta), "annotations": grid_annotations(parent_meta)},
    }
    if data:
        child["data"] = data
    if spec.binary:
        child["binaryData"] = spec.binary
    child = apply_overrides(child, spec.overrides, unit)
    child = pin_configmap(child, parent_meta, spec.sites.key, unit, name)
    check_configmap(child)
    return child


def pin_configmap(child: dict, parent_meta: Mapping, key: str, unit: str, name: str) -> dict:
    """The invariants no override may change: name, namespace, the unit and grid labels, the key annotation."""
    meta = child.get("metadata")
    if not isinstance(meta, dict):
        raise SpecError("rendered child is invalid: metadata must be an object")
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    if not isinstance(labels, dict) or not isinstance(annotations, dict):
        raise SpecError("rendered child is invalid: metadata.labels and metadata.annotations must be objects")
    own = {CONFIGMAP_GRID_LABEL: label_safe(parent_meta["name"]), **invariant_labels(parent_meta, key, unit)}
    pinned = {
        **meta,
        "name": name,
        "labels": {**labels, **own},
        "annotations": {**annotations, UNIQ_KEY_ANNOTATION: key},
    }
    if parent_meta.get("namespace"):
        pinned["namespace"] = parent_meta["namespace"]
    return {**child, "apiVersion": "v1", "kind": "ConfigMap", "metadata": pinned}


def check_configmap(child: Mapping) -> None:
    """Raise SpecError naming the first problem the API server would refuse (or store differently)."""
    extra = sorted(set(child) - TOP_LEVEL)
    if extra:
        raise SpecError(f"rendered child is invalid: {extra[0]}: a ConfigMap here holds only data and binaryData")
    try:
        check_metadata(child["metadata"], "metadata")
    except Invalid as err:
        raise SpecError(f"rendered child is invalid: {err}") from None
    for name in MAPS:
        if name in child:
            check_map(child[name], f"rendered child is invalid: {name}", binary=name == "binaryData")
    both = sorted(set(child.get("data") or {}) & set(child.get("binaryData") or {}))
    if both:
        raise SpecError(f"rendered child is invalid: data and binaryData both hold the key {both[0]!r}")
