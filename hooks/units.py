"""Discovering NodeUnits: the distinct non-empty values of ``gridUniqKey`` on selected Nodes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hooks.partial import TEXT, TEXT_MAP
from hooks.selectors import matches

NODE_FIELDS = {"metadata": {"name": TEXT, "labels": TEXT_MAP}}
"""The fields of a Node that unit discovery reads (hooks.partial): keep in step with discover_units."""


def discover_units(nodes: Iterable[Mapping], key: str, selector: Mapping) -> dict[str, list[str]]:
    """Map each unit value to the sorted names of its nodes.

    Nodes without the key, with an empty value, or outside ``selector`` are
    ignored: they belong to no unit. Malformed node entries are skipped rather
    than failing the grid, since one odd Node must not stop every site.
    """
    units: dict[str, list[str]] = {}
    for node in nodes:
        meta = node.get("metadata") if isinstance(node, Mapping) else None
        labels = meta.get("labels") if isinstance(meta, Mapping) else None
        if not isinstance(labels, Mapping):
            continue
        unit = labels.get(key)
        if not isinstance(unit, str) or not unit or not matches(selector, labels):
            continue
        name = meta.get("name")
        units.setdefault(unit, []).append(name if isinstance(name, str) else "")
    return {unit: sorted(names) for unit, names in sorted(units.items())}
