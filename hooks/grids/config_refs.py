"""Per-site configuration for workload grids: references to a ConfigMapGrid become that unit's ConfigMap.

A workload grid's pod template may name a ConfigMapGrid of its ServiceGroup (same namespace, same
``gridUniqKey``) wherever a pod names a ConfigMap: ``volumes[].configMap.name``, ``projected`` volume
sources, ``envFrom[].configMapRef.name`` and ``env[].valueFrom.configMapKeyRef.name`` (of containers and
init containers). In each unit's child such a name is rewritten to the name of that unit's ConfigMap, and
the pod template gets the annotation ``superedge.io/config-hash``: a hash of the data of the unit's
ConfigMaps **as they are in the cluster** (not as the ConfigMapGrid's spec would render them). So a change
of a unit's data changes only that unit's pod template, after the ConfigMap holds the new data; the
workload's own controller (and ``spec.rollout``, site by site) then restarts the pods, which mount the new
data.

How a name is known to be a ConfigMapGrid: the customize hook asks Metacontroller for the ConfigMapGrids
of the grid's namespace with the names its spec uses, and for their ConfigMaps (selected by the label
``superedge.io/configmap-grid``, hooks.grids.configmap_grid). A name that is no ConfigMapGrid is left as
it is (a plain ConfigMap). A unit whose ConfigMapGrid has no ConfigMap for it (yet) cannot be rendered:
it keeps its observed child (and gets none if it has none) and is named in ``Synced`` (reason
``ConfigMapsPending``) until the ConfigMap exists; a ConfigMapGrid of another ``gridUniqKey`` is an error
of every unit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import orjson

from hooks import API_VERSION
from hooks.grids.children import UNIQ_KEY_ANNOTATION
from hooks.grids.configmap_grid import CONFIGMAP_GRID_LABEL, CONFIGMAP_TYPE
from hooks.kube.errors import SpecError
from hooks.kube.names import is_dns1123_subdomain, label_safe
from hooks.kube.objects import mapping
from hooks.protocol.partial import ANY, TEXT, TEXT_MAP

CONFIGMAPGRID_TYPE = f"ConfigMapGrid.{API_VERSION}"
CONFIG_HASH_ANNOTATION = "superedge.io/config-hash"
CONFIGMAPS_PENDING = "ConfigMapsPending"
REFERENCE_KEYS = ("configMap", "configMapRef", "configMapKeyRef")
"""Objects of a pod spec that name a ConfigMap in their ``name``."""
CONTAINER_LISTS = ("initContainers", "containers")

CONFIGMAP_FIELDS = {
    "metadata": {"name": TEXT, "namespace": TEXT, "labels": TEXT_MAP, "annotations": {UNIQ_KEY_ANNOTATION: TEXT}},
    "data": ANY,
    "binaryData": ANY,
}
CONFIGMAPGRID_FIELDS = {"metadata": {"name": TEXT, "namespace": TEXT}, "spec": {"gridUniqKey": ANY}}
"""What a workload grid's sync reads of the related ConfigMaps and ConfigMapGrids (hooks.protocol.partial)."""


class ConfigMapsPending(SpecError):
    """A unit whose ConfigMapGrid has no ConfigMap for it yet: the unit keeps its observed child."""

    reason = CONFIGMAPS_PENDING


def referenced_names(spec: object) -> list[str]:
    """Every ConfigMap name the grid's spec can put in a pod: in ``configMap``, ``configMapRef`` and
    ``configMapKeyRef`` objects anywhere in it (templates, pool entries, patch values) and in patch operations
    whose path ends in one of them (``.../configMap/name``). Sorted; only valid names."""
    found: set[str] = set()
    _collect(spec, found, 0)
    overrides = spec.get("overrides") if isinstance(spec, Mapping) else None
    for entry in overrides if isinstance(overrides, list) else ():
        for op in (entry.get("patch") if isinstance(entry, Mapping) else None) or ():
            if isinstance(op, Mapping) and isinstance(op.get("value"), str) and _names_a_configmap(op.get("path")):
                found.add(op["value"])
    return sorted(n for n in found if is_dns1123_subdomain(n))


def _collect(value: object, found: set[str], depth: int) -> None:
    if depth > 200:  # the API server nests at most 100 levels; a request by hand is not followed further
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in REFERENCE_KEYS and isinstance(item, Mapping) and isinstance(item.get("name"), str):
                found.add(item["name"])
            _collect(item, found, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found, depth + 1)


def _names_a_configmap(path: object) -> bool:
    return isinstance(path, str) and any(path.endswith(f"/{key}/name") for key in REFERENCE_KEYS)


def related_rules(spec: object, namespace: str) -> list[dict]:
    """The customize rules that bring a workload grid the ConfigMapGrids its spec names, and their ConfigMaps.

    Both are narrowed to the grid's namespace and to the names the spec uses, so the request carries only
    configuration this grid can use. Nothing when the spec names no ConfigMap."""
    names = referenced_names(spec)
    if not names:
        return []
    labels = sorted({label_safe(n) for n in names})
    return [
        {"apiVersion": API_VERSION, "resource": "configmapgrids", "namespace": namespace, "names": names},
        {
            "apiVersion": "v1",
            "resource": "configmaps",
            "namespace": namespace,
            "labelSelector": {"matchExpressions": [{"key": CONFIGMAP_GRID_LABEL, "operator": "In", "values": labels}]},
        },
    ]


@dataclass(frozen=True)
class UnitConfigMap:
    name: str
    digest: str
    """16 hex digits of sha256 over the ConfigMap's data and binaryData as observed."""


@dataclass(frozen=True)
class ConfigGrid:
    key: object
    """The ConfigMapGrid's ``spec.gridUniqKey`` as observed."""
    units: Mapping[str, UnitConfigMap] = field(default_factory=dict)


@dataclass(frozen=True)
class Configs:
    """The ConfigMapGrids a workload grid may use, by name, each with its observed ConfigMap per unit."""

    grids: Mapping[str, ConfigGrid] = field(default_factory=dict)


NO_CONFIGS = Configs()


def observed_configs(spec: object, related: Mapping, namespace: str, key: str) -> Configs:
    """The ConfigMapGrids named by the spec and their ConfigMaps for ``key``'s units, from the request.

    A request without the ConfigMapGrid list has none: Metacontroller sends every type the customize hook
    asked for, so no list means a customize answer cached from before this version (or before the spec named
    a ConfigMap; Metacontroller keeps them up to 20 minutes per generation). No name of such a grid can have
    been rewritten yet, so rendering it unrewritten changes nothing; the next customize call brings the lists.
    """
    names = referenced_names(spec)
    if not names or CONFIGMAPGRID_TYPE not in related:
        return NO_CONFIGS
    grids: dict[str, ConfigGrid] = {}
    for obj in _objects(related[CONFIGMAPGRID_TYPE]):
        meta = mapping(obj, "metadata")
        name = meta.get("name")
        if isinstance(name, str) and name in names and meta.get("namespace", namespace) == namespace:
            grids[name] = ConfigGrid(mapping(obj, "spec").get("gridUniqKey"))
    if not grids:
        return NO_CONFIGS
    by_label = {label_safe(name): name for name in grids}
    units: dict[str, dict[str, UnitConfigMap]] = {name: {} for name in grids}
    for obj in sorted(_objects(related.get(CONFIGMAP_TYPE)), key=lambda o: str(mapping(o, "metadata").get("name"))):
        meta = mapping(obj, "metadata")
        labels = mapping(meta, "labels")
        label = labels.get(CONFIGMAP_GRID_LABEL)
        grid = by_label.get(label) if isinstance(label, str) else None
        unit = labels.get(key)
        if (
            grid is None
            or not isinstance(unit, str)
            or not isinstance(meta.get("name"), str)
            or meta.get("namespace", namespace) != namespace
            or mapping(meta, "annotations").get(UNIQ_KEY_ANNOTATION) != key
        ):
            continue
        units[grid].setdefault(unit, UnitConfigMap(meta["name"], data_digest(obj)))
    return Configs({name: ConfigGrid(g.key, units[name]) for name, g in grids.items()})


def _objects(group: object) -> list[Mapping]:
    return [o for o in group.values() if isinstance(o, Mapping)] if isinstance(group, Mapping) else []


def data_digest(configmap: Mapping) -> str:
    """16 hex digits of sha256 over the ConfigMap's ``data`` and ``binaryData`` (sorted-key JSON)."""
    content = {name: configmap.get(name) or {} for name in ("data", "binaryData")}
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def with_unit_configs(child: dict, pod_path: tuple[str, ...], configs: Configs, key: str, unit: str) -> dict:
    """``child`` whose pod template names ``unit``'s ConfigMap for every ConfigMapGrid it names, and carries
    the hash of their observed data; ``child`` itself when it names none. Only the changed paths are copied."""
    if not configs.grids:
        return child
    used: dict[str, UnitConfigMap] = {}

    def rename(name: str) -> str:
        grid = configs.grids.get(name)
        if grid is None:
            return name
        if grid.key != key:
            raise SpecError(
                f"ConfigMapGrid {name!r} has gridUniqKey {grid.key!r}, not {key!r}: a grid can only use the "
                "ConfigMapGrids of its own ServiceGroup (same namespace and gridUniqKey)"
            )
        found = grid.units.get(unit)
        if found is None:
            raise ConfigMapsPending(f"waiting for the ConfigMap of ConfigMapGrid {name!r} for this unit")
        used[name] = found
        return found.name

    pod = _at(child, pod_path)
    pod_spec = pod.get("spec") if isinstance(pod, dict) else None
    if not isinstance(pod_spec, dict):
        return child
    new_spec = _renamed_pod_spec(pod_spec, rename)
    if not used:
        return child
    meta = pod.get("metadata") if isinstance(pod.get("metadata"), dict) else {}
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    digest = config_hash(used)
    new_pod = {**pod, "metadata": {**meta, "annotations": {**annotations, CONFIG_HASH_ANNOTATION: digest}}}
    new_pod["spec"] = new_spec
    return _replaced(child, pod_path, new_pod)


def config_hash(used: Mapping[str, UnitConfigMap]) -> str:
    """16 hex digits of sha256 over (ConfigMapGrid, ConfigMap, data digest) of every ConfigMapGrid used."""
    rows = sorted((grid, cm.name, cm.digest) for grid, cm in used.items())
    return hashlib.sha256(orjson.dumps(rows)).hexdigest()[:16]


Rename = Callable[[str], str]


def _renamed_pod_spec(pod_spec: dict, rename: Rename) -> dict:
    out = pod_spec
    volumes = _mapped(pod_spec.get("volumes"), lambda v: _renamed_volume(v, rename))
    if volumes is not pod_spec.get("volumes"):
        out = {**out, "volumes": volumes}
    for list_name in CONTAINER_LISTS:
        containers = _mapped(pod_spec.get(list_name), lambda c: _renamed_container(c, rename))
        if containers is not pod_spec.get(list_name):
            out = {**out, list_name: containers}
    return out


def _renamed_volume(volume: object, rename: Rename) -> object:
    if not isinstance(volume, dict):
        return volume
    out = _renamed_ref(volume, "configMap", rename)
    projected = volume.get("projected")
    if isinstance(projected, dict):
        sources = _mapped(projected.get("sources"), lambda s: _renamed_ref(s, "configMap", rename))
        if sources is not projected.get("sources"):
            out = {**out, "projected": {**projected, "sources": sources}}
    return out


def _renamed_container(container: object, rename: Rename) -> object:
    if not isinstance(container, dict):
        return container
    out = container
    env_from = _mapped(container.get("envFrom"), lambda e: _renamed_ref(e, "configMapRef", rename))
    if env_from is not container.get("envFrom"):
        out = {**out, "envFrom": env_from}
    env = _mapped(container.get("env"), lambda e: _renamed_env(e, rename))
    if env is not container.get("env"):
        out = {**out, "env": env}
    return out


def _renamed_env(var: object, rename: Rename) -> object:
    source = var.get("valueFrom") if isinstance(var, dict) else None
    if not isinstance(source, dict):
        return var
    renamed = _renamed_ref(source, "configMapKeyRef", rename)
    return var if renamed is source else {**var, "valueFrom": renamed}


def _renamed_ref(holder: object, key: str, rename: Rename) -> object:
    """``holder`` with ``holder[key].name`` renamed (the same object when the name does not change)."""
    ref = holder.get(key) if isinstance(holder, dict) else None
    name = ref.get("name") if isinstance(ref, dict) else None
    if not isinstance(name, str):
        return holder
    new = rename(name)
    return holder if new == name else {**holder, key: {**ref, "name": new}}


def _mapped(items: object, change: Callable[[object], object]) -> object:
    """``items`` (a list) with ``change`` applied to each; the same list when nothing changed."""
    if not isinstance(items, list):
        return items
    new = [change(item) for item in items]
    return items if all(a is b for a, b in zip(new, items, strict=True)) else new


def _at(obj: Mapping, path: Iterable[str]) -> object:
    node: object = obj
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def _replaced(obj: dict, path: tuple[str, ...], value: object) -> dict:
    head, *rest = path
    return {**obj, head: _replaced(obj[head], tuple(rest), value) if rest else value}
