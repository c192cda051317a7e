"""The NodeUnit object: one site of one label key, as a small cluster-scoped object.

A NodeGroup writes one NodeUnit per site of its key; grids with
``siteSource: NodeUnits`` read them instead of Nodes. A NodeUnit holds
membership (``spec.nodes``) and since when the site has (or has not) had a
Ready node (:mod:`hooks.sites.readiness`), never anything a kubelet heartbeat
changes, so it is rewritten only when a site gains or loses nodes or goes dark
or comes back, and so are the grids that relate it woken only then.

``superedge.io/unit-key`` holds the key in label-value form
(:func:`unit_key_value`): a grid asks Metacontroller for the NodeUnits of its
key by that label, and then keeps only those whose ``spec.gridUniqKey`` is
exactly its key, because the label form of a prefixed key is a stand-in.

A NodeUnit whose ``spec.nodes`` is empty is a **tombstone**: the NodeGroup
keeps it for a while after the site's last node left
(:mod:`hooks.nodegroups.tombstones`), because a grid must see *positive*
evidence before it removes a site's children. The mere absence of a NodeUnit
proves nothing: the garbage collector deletes a NodeGroup's NodeUnits one by
one and Metacontroller creates them one by one, so a grid sees every partial
set in between (see docs/decisions.md, "Partial NodeUnit sets").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hooks import API_VERSION
from hooks.kube.names import ChildNames, NameOf, child_names, is_label_value, label_safe
from hooks.kube.objects import mapping
from hooks.sites.readiness import UNKNOWN, Readiness, readiness_fields

NODEUNIT_KIND = "NodeUnit"
NODEUNIT_TYPE = f"{NODEUNIT_KIND}.{API_VERSION}"  # its key in a v2 request's ``children``/``related`` maps
NODEUNIT_RESOURCE = "nodeunits"
NODE_GROUP_LABEL = "superedge.io/node-group"
UNIT_KEY_LABEL = "superedge.io/unit-key"
GONE_SINCE = "superedge.io/unit-gone-since"
"""Annotation on a tombstone NodeUnit: when its NodeGroup first saw the site without nodes (its clock)."""


def unit_key_value(key: str) -> str:
    """The ``superedge.io/unit-key`` label value of ``gridUniqKey`` ``key``.

    An unprefixed key (``site``) is a valid label value and is used as is. A
    prefixed key (``topology.kubernetes.io/zone``) contains ``/`` and may be
    up to 317 characters, so it becomes :func:`hooks.kube.names.label_safe`'s
    stand-in: the key with ``/`` turned into ``-``, truncated, plus ``-`` and
    the first 8 hex digits of sha256 of the whole key
    (``topology.kubernetes.io-zone-<hash>``). The hash keeps ``a.b/c`` apart
    from the unprefixed ``a.b-c``; readers still compare ``spec.gridUniqKey``.
    """
    return label_safe(key)


def nodeunit_names(node_group: str, key: str, observed: Iterable[Mapping]) -> ChildNames:
    """``<nodegroup>-<unit>`` or its hashed fallback, for one sync of the NodeGroup.

    ``observed`` are its observed NodeUnits: one that still has its 0.1.0 name for its ``spec.unit`` keeps it.
    """
    units = {}
    for obj in observed:
        name, unit = mapping(obj, "metadata").get("name"), unit_of_nodeunit(obj, key)
        if isinstance(name, str) and unit is not None:
            units[name] = unit
    return child_names(node_group, units)


def nodeunit(
    node_group_meta: Mapping, key: str, unit: str, nodes: list[str], name_of: NameOf, readiness: Readiness = UNKNOWN
) -> dict:
    """The desired NodeUnit of ``unit``, named by ``name_of``: cluster-scoped, so no namespace; ``nodes`` sorted.

    ``readiness`` adds ``spec.readySince`` or ``spec.notReadySince`` (hooks.sites.readiness).
    """
    return {
        "apiVersion": API_VERSION,
        "kind": NODEUNIT_KIND,
        "metadata": {
            "name": name_of(unit),
            "labels": {NODE_GROUP_LABEL: label_safe(node_group_meta["name"]), UNIT_KEY_LABEL: unit_key_value(key)},
        },
        "spec": {
            "gridUniqKey": key,
            "unit": unit,
            "nodes": nodes,
            "nodeCount": len(nodes),
            **readiness_fields(readiness),
        },
    }


def nodeunit_rule(key: str) -> dict:
    """The customize-hook rule that relates the NodeUnits of ``key`` (and nothing a heartbeat touches)."""
    return {
        "apiVersion": API_VERSION,
        "resource": NODEUNIT_RESOURCE,
        "labelSelector": {"matchLabels": {UNIT_KEY_LABEL: unit_key_value(key)}},
    }


def unit_of_nodeunit(obj: object, key: str) -> str | None:
    """The unit a related NodeUnit stands for, or None when it is not one of ``key``'s or is malformed.

    ``spec.unit`` must be a non-empty label value, as a unit read from a Node
    label would be; anything else was not written by a NodeGroup.
    """
    spec = mapping(obj, "spec")
    unit = spec.get("unit")
    if spec.get("gridUniqKey") != key or not is_label_value(unit) or not unit:
        return None
    return unit


def is_tombstone(obj: object) -> bool:
    """Whether a NodeUnit says its site is gone: ``spec.nodes`` is an empty list.

    A NodeGroup never writes a live NodeUnit without nodes, so this is positive
    evidence. Anything odd (no ``nodes``, not a list) is not: it reads as a live
    site, which can only keep or render a child, never remove one.
    """
    nodes = mapping(obj, "spec").get("nodes")
    return isinstance(nodes, list) and not nodes


def nodeunit_children(
    node_group_meta: Mapping,
    key: str,
    units: Mapping[str, list[str]],
    name_of: NameOf,
    readiness: Mapping[str, Readiness] | None = None,
) -> tuple[list[dict], dict[str, str]]:
    """One NodeUnit per unit (unit -> sorted node names), sorted by name, and the units that got none.

    ``readiness`` (unit -> what its nodes say) is written into each NodeUnit; absent units say nothing.

    Two units of one NodeGroup can still map to one name (a natural name equal
    to another unit's hashed fallback, or a hash collision); then the later
    unit (in sorted order) gets no NodeUnit and is reported, rather than two
    units sharing, and overwriting, one object.
    """
    children: list[dict] = []
    owners: dict[str, str] = {}
    errors: dict[str, str] = {}
    for unit, nodes in units.items():
        child = nodeunit(node_group_meta, key, unit, nodes, name_of, (readiness or {}).get(unit, UNKNOWN))
        name = child["metadata"]["name"]
        if name in owners:
            errors[unit] = f"NodeUnit name {name!r} is already used by unit {owners[name]!r}"
            continue
        owners[name] = unit
        children.append(child)
    return sorted(children, key=lambda c: c["metadata"]["name"]), errors
