"""Tombstone NodeUnits: positive, bounded evidence that a site went away.

Grids reading NodeUnits never remove a unit's child because its NodeUnit is
absent (the set of NodeUnits they see may be partial: see
:mod:`hooks.grids.unlisted`). So when a site loses its last node, its NodeGroup
does not delete the NodeUnit at once: it keeps it as a *tombstone*, with
``spec.nodes: []`` (``nodeCount: 0``) and the annotation
``superedge.io/unit-gone-since`` holding when it first saw the site empty. A grid
that sees the tombstone treats the unit as gone (and applies its own
``unitRemovalGracePeriodSeconds``). After ``spec.unitTombstoneSeconds`` (default
one day) the NodeGroup drops the tombstone, asking Metacontroller to resync it
then (``resyncAfterSeconds``).

A tombstone is also written, and kept past its lifetime, for a unit that a
workload grid reading NodeUnits still lists in its status although the unit has
no node: the NodeGroup relates those grids anyway, and its Node list is complete
(Metacontroller's informer cache), so it knows that site is gone. This covers a
site that vanished while no NodeGroup existed (deleted and re-created later) and
a grid that could not sync for longer than the lifetime (hook server down, spec
invalid): the tombstone stays until the grid has removed its children. The
lifetime therefore counts only once no such grid lists the unit.

Stateless like the grids' grace period: the clock lives on the tombstone itself
and "now" is the request's clock. Only NodeUnits of the NodeGroup's current key
and name become tombstones; a NodeUnit of another key (the NodeGroup's key was
changed) is simply dropped, since the NodeGroup no longer speaks for that key
and its absence removes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hooks.kube.errors import SpecError
from hooks.kube.names import NameOf, is_label_value
from hooks.kube.objects import mapping
from hooks.kube.times import parse_time
from hooks.sites.nodeunit import GONE_SINCE, nodeunit, unit_of_nodeunit

DEFAULT_TOMBSTONE_SECONDS = 24 * 3600
"""One day: long enough for every grid to sync once through a night's hook outage or a broken grid spec."""
MIN_TOMBSTONE_SECONDS = 60
"""Shorter makes little sense: each grid of the key must sync at least once while the tombstone exists."""
MAX_TOMBSTONE_SECONDS = 10 * 365 * 24 * 3600
"""Ten years: expiry times must stay inside the calendar."""


def tombstone_seconds(spec: Mapping) -> int:
    """``spec.unitTombstoneSeconds`` of a NodeGroup (absent or null: one day)."""
    value = spec.get("unitTombstoneSeconds")
    if value is None:
        return DEFAULT_TOMBSTONE_SECONDS
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not ok or not MIN_TOMBSTONE_SECONDS <= value <= MAX_TOMBSTONE_SECONDS:
        raise SpecError(
            f"spec.unitTombstoneSeconds must be an integer from {MIN_TOMBSTONE_SECONDS} to {MAX_TOMBSTONE_SECONDS}"
        )
    return value


@dataclass(frozen=True)
class Tombstones:
    children: list[dict]
    resync_after: int | None
    """Seconds until the earliest tombstone expires (at least 1), or None when there is none."""


def tombstones(
    node_group_meta: Mapping,
    key: str,
    observed: Iterable[Mapping],
    live: Iterable[str],
    lifetime: int,
    now: str,
    name_of: NameOf,
    reported: Iterable[str] = (),
) -> Tombstones:
    """A tombstone for every unit of ``key`` that is not live but has an observed NodeUnit or is ``reported``.

    ``name_of`` names a unit's NodeUnit (:func:`hooks.sites.nodeunit.nodeunit_names`); only *the* NodeUnit of
    a unit counts.

    ``reported`` are the units grids reading NodeUnits still list. A tombstone expires ``lifetime`` seconds
    after the site was first seen empty, but not while a grid still reports the unit. The clock starts at
    the first sight (an unreadable or future mark restarts it, which can only keep a tombstone longer).
    """
    current = parse_time(now)
    live_units = set(live)
    still_reported = {u for u in reported if is_label_value(u) and u and u not in live_units}
    marks: dict[str, object] = {unit: None for unit in still_reported}
    for obj in observed:
        unit = unit_of_nodeunit(obj, key)
        meta = mapping(obj, "metadata")
        if unit is None or unit in live_units or meta.get("name") != name_of(unit):
            continue
        marks[unit] = mapping(meta, "annotations").get(GONE_SINCE)
    out: list[dict] = []
    remaining: list[float] = []
    for unit, recorded in sorted(marks.items()):
        started = parse_time(recorded)
        since = recorded if started is not None and current is not None and started <= current else now
        left = lifetime - (current - parse_time(since)).total_seconds() if current is not None else lifetime
        if left > 0:
            remaining.append(left)
        elif unit not in still_reported:
            continue
        out.append(tombstone(node_group_meta, key, unit, since, name_of))
    resync = max(1, math.ceil(min(remaining))) if remaining else None
    return Tombstones(sorted(out, key=lambda c: c["metadata"]["name"]), resync)


def tombstone(node_group_meta: Mapping, key: str, unit: str, since: str, name_of: NameOf) -> dict:
    """The NodeUnit of a site that has no nodes any more: ``nodes: []`` and the gone-since mark."""
    child = nodeunit(node_group_meta, key, unit, [], name_of)
    child["metadata"]["annotations"] = {GONE_SINCE: since}
    return child
