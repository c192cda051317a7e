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

``siteSource: NodeSummaries`` sits in between. A summary goes only with its Node
(it is owned by it), so a unit whose summaries have gone is gone, as with Nodes;
but a summary appears only once the decorator has written it, so right after a
grid is switched to summaries (or the decorator is installed) a unit may have
none *yet*. The difference is kept on the child: a grid reading summaries marks
the child of every unit they list (:data:`SUMMARISED`). A unit without summaries
whose child carries the mark is gone; one whose child lacks it is unlisted until
its summaries appear. Other modes take the mark off, so a later switch back to
summaries starts again from "not yet seen".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from hooks.grids.grace import MISSING_SINCE
from hooks.kube.names import NameOf
from hooks.kube.objects import mapping
from hooks.protocol.partial import TEXT
from hooks.sites.discovery import Sites
from hooks.sites.site_spec import NODESUMMARIES_SOURCE

SUMMARISED = "superedge.io/unit-summarised"
"""Annotation on a unit's child: a grid reading NodeSummaries has seen the unit's summaries (value ``"true"``)."""
SUMMARISED_FIELDS = {"metadata": {"annotations": {SUMMARISED: TEXT}}}
"""What :func:`unlisted_units` reads of an observed child on top of hooks.grids.grace.GRACE_FIELDS."""


def unlisted_units(observed: Iterable[Mapping], key: str, sites: Sites, name_of: NameOf) -> frozenset[str]:
    """Units that have an observed child of their own but neither a NodeUnit (or, with summaries, the mark of
    having had summaries) nor a departure mark.

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
        if meta.get("name") != name_of(unit):
            continue
        annotations = mapping(meta, "annotations")
        if MISSING_SINCE in annotations or (sites.source == NODESUMMARIES_SOURCE and SUMMARISED in annotations):
            continue
        out.add(unit)
    return frozenset(out)


def with_summary_marks(response: dict, sites: Sites, key: str, name_of: NameOf) -> dict:
    """The response with :data:`SUMMARISED` on the child of every unit the summaries list (siteSource
    NodeSummaries), or taken off every child (any other source). Children already right are sent as they are."""
    listed = frozenset(sites.units) if sites.source == NODESUMMARIES_SOURCE else frozenset()
    children = [_summary_marked(c, listed, key, name_of) for c in response["children"]]
    return {**response, "children": children}


def _summary_marked(child: dict, listed: frozenset[str], key: str, name_of: NameOf) -> dict:
    meta = mapping(child, "metadata")
    annotations = mapping(meta, "annotations")
    marked = SUMMARISED in annotations
    if not listed and not marked:  # every sync of a grid reading Nodes or NodeUnits, for every child: done
        return child
    unit = mapping(meta, "labels").get(key)
    wanted = unit in listed and meta.get("name") == name_of(unit)
    if wanted == marked:
        return child
    if wanted:
        changed = {**annotations, SUMMARISED: "true"}
    else:
        changed = {k: v for k, v in annotations.items() if k != SUMMARISED}
    return {**child, "metadata": {**meta, "annotations": changed}}
