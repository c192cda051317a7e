"""Children of units the request says nothing about: kept exactly as they are.

In ``siteSource: NodeUnits`` mode a grid sees its sites as a *set of objects*,
and sets of objects change one object at a time: the garbage collector deletes
a NodeGroup's NodeUnits one by one, Metacontroller creates them one by one, and
a grid may sync at any moment in between. A unit whose NodeUnit is absent may
therefore be one that is about to be deleted or re-created, and absence proves
nothing. Such a unit is *unlisted*: its observed child is sent back unchanged
(:func:`hooks.grids.children.kept_child`), never re-rendered and never removed.

A unit's child is removed only on positive evidence that the site is gone: a
tombstone NodeUnit (``spec.nodes: []``, see :mod:`hooks.nodegroups.tombstones`),
or the grace-period mark the grid itself wrote on the child when it first saw
that evidence (:data:`hooks.grids.grace.MISSING_SINCE`), so a departure that
has begun finishes even if the tombstone is gone by the time the grace period
ends. In Nodes mode every unit is vouched for, so nothing is ever unlisted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hooks.grids.grace import MISSING_SINCE
from hooks.kube.names import NameOf
from hooks.kube.objects import mapping
from hooks.sites.discovery import Sites


def unlisted_units(observed: Iterable[Mapping], key: str, sites: Sites, name_of: NameOf) -> frozenset[str]:
    """Units that have an observed child of their own but neither a NodeUnit nor a departure mark.

    Only *the* child of a unit (``name_of(unit)``) counts, as for the grace period: a
    shared child that merely carries the key label must not conjure up a unit.
    """
    live = set(sites.units)
    out: set[str] = set()
    for child in observed:
        meta = mapping(child, "metadata")
        unit = mapping(meta, "labels").get(key)
        if not isinstance(unit, str) or not unit or unit in live or sites.vouches_for(unit):
            continue
        if meta.get("name") != name_of(unit) or MISSING_SINCE in mapping(meta, "annotations"):
            continue
        out.add(unit)
    return frozenset(out)
