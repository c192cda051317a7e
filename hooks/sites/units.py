"""Discovering NodeUnits: the distinct non-empty values of ``gridUniqKey`` on selected Nodes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hooks.kube.selectors import LabelTest, selector_test
from hooks.protocol.partial import TEXT, TEXT_MAP
from hooks.sites.readiness import NODE_READY_FIELDS

NODES = "Node.v1"
"""The key of the Node list in a v2 request's ``related`` map."""
NODE_FIELDS = {"metadata": {"name": TEXT, "labels": TEXT_MAP}}
"""The fields of a Node that unit discovery reads (hooks.protocol.partial): keep in step with discover_units."""
NODE_HEALTH_FIELDS = {**NODE_FIELDS, **NODE_READY_FIELDS}
"""What :func:`node_ready` and hooks.sites.readiness read on top of NODE_FIELDS (hooks.protocol.partial)."""


def node_name(node: Mapping) -> str:
    meta = node.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else ""


def unit_of(node: object, key: str, selects: LabelTest) -> str | None:
    """The unit ``node`` belongs to, or None.

    Nodes without the key, with an empty value, or whose labels ``selects`` refuses (the grid's node
    selector, :func:`hooks.kube.selectors.selector_test`) are in no unit. Malformed node entries are in none
    either rather than failing the whole answer, since one odd Node must not stop every site. (Plain ``dict``
    checks, not ``Mapping``: this runs for every Node and JSON gives dicts.)
    """
    meta = node.get("metadata") if isinstance(node, dict) else None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if not isinstance(labels, dict):
        return None
    unit = labels.get(key)
    if not isinstance(unit, str) or not unit or not selects(labels):
        return None
    return unit


def group_by_unit(nodes: Iterable[Mapping], key: str, selector: Mapping) -> dict[str, list[Mapping]]:
    """Map each unit value (sorted) to its Node objects, sorted by name."""
    units: dict[str, list[Mapping]] = {}
    selects = selector_test(selector)
    for node in nodes:
        unit = unit_of(node, key, selects)
        if unit is not None:
            units.setdefault(unit, []).append(node)
    return {unit: sorted(members, key=node_name) for unit, members in sorted(units.items())}


def discover_units(nodes: Iterable[Mapping], key: str, selector: Mapping) -> dict[str, list[str]]:
    """Map each unit value to the sorted names of its nodes."""
    return {unit: [node_name(n) for n in members] for unit, members in group_by_unit(nodes, key, selector).items()}


def node_ready(node: Mapping) -> bool:
    """Whether the Node's ``Ready`` condition has status ``"True"`` (absent or odd means not ready)."""
    status = node.get("status")
    conditions = status.get("conditions") if isinstance(status, Mapping) else None
    if not isinstance(conditions, list):
        return False
    return any(isinstance(c, Mapping) and c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
