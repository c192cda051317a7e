"""Whether a site is online, read from its Nodes' ``Ready`` condition or from its NodeUnit.

An edge fleet always has sites offline (a link down, a shop closed for the night). A rollout must not wait
for them (hooks.grids.rollout), so it needs to know, per unit, since when the unit has had a Ready node or
since when it has had none. Both are read from transition times, never from heartbeats:

- from Nodes (``siteSource: Nodes``): the ``lastTransitionTime`` of each node's ``Ready`` condition. A unit
  is *dark* when every node has a ``Ready`` condition that is not ``"True"``; it has been dark since the
  newest of their transition times (the moment its last Ready node stopped being Ready). A unit with a
  Ready node has been online at least since the oldest transition time among its Ready nodes.
- from a NodeUnit (``siteSource: NodeUnits``): the NodeGroup writes the same two facts into the NodeUnit
  (``spec.readySince`` or ``spec.notReadySince``), keeping the time it recorded while the unit stays in the
  same state. So a NodeUnit changes only when its whole site goes dark or comes back, never on a heartbeat
  and never because one node of a site that stays online flaps: grids reading NodeUnits are not woken by
  per-node events.

A node without a ``Ready`` condition, or with one whose time cannot be read, says nothing: a unit with
such a node and no Ready node is neither online nor dark (``Readiness()``), which a rollout treats as online
(as before this existed: the unit can hold its step, it is never deferred).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from hooks.kube.objects import mapping
from hooks.kube.times import TIME_FORMAT, parse_time
from hooks.protocol.partial import TEXT, Only

READY_SINCE = "readySince"
NOT_READY_SINCE = "notReadySince"
"""The NodeUnit ``spec`` fields the NodeGroup writes (hooks.sites.nodeunit)."""

NODE_READY_FIELDS = {
    "status": {"conditions": Only("type", "Ready", {"type": TEXT, "status": TEXT, "lastTransitionTime": TEXT})}
}
"""What :func:`unit_readiness` (and the NodeGroup's ready count) reads of a Node: its ``Ready`` condition only
(hooks.protocol.partial)."""


@dataclass(frozen=True)
class Readiness:
    """At most one of the two is set; neither when the nodes do not say (no readable Ready condition)."""

    ready_since: str | None = None
    """The unit has had a Ready node since then."""
    not_ready_since: str | None = None
    """No node of the unit has been Ready since then (the unit is *dark*)."""

    @property
    def dark(self) -> bool:
        return self.not_ready_since is not None

    def offline(self, after: int, now: str) -> bool:
        """Dark for at least ``after`` seconds at ``now``."""
        start, current = parse_time(self.not_ready_since), parse_time(now)
        return start is not None and current is not None and (current - start).total_seconds() >= after

    def offline_at(self, after: int) -> str | None:
        """When a dark unit becomes offline (None for a unit that is not dark)."""
        start = parse_time(self.not_ready_since)
        if start is None:
            return None
        return datetime.fromtimestamp(start.timestamp() + after, UTC).strftime(TIME_FORMAT)


UNKNOWN = Readiness()


def ready_condition(node: Mapping) -> Mapping | None:
    """The node's ``Ready`` condition, or None. (Plain ``dict`` checks: this runs for every Node of a rollout,
    and JSON gives dicts.)"""
    status = node.get("status") if isinstance(node, dict) else None
    conditions = status.get("conditions") if isinstance(status, dict) else None
    if not isinstance(conditions, list):
        return None
    for cond in conditions:
        if isinstance(cond, dict) and cond.get("type") == "Ready":
            return cond
    return None


def unit_readiness(
    nodes: Iterable[Mapping], earliest: bool = True, condition: Callable[[Mapping], Mapping | None] = ready_condition
) -> Readiness:
    """The readiness of a unit from its Nodes (see the module docstring), or from their NodeSummaries with
    ``condition`` reading a summary's record of the condition (hooks.sites.node_summary).

    With ``earliest=False`` the Nodes are read only until a Ready one: the unit is online, and its
    ``ready_since`` is that Node's time (it has been online at least since then), not the earliest. Whether a
    unit is online or dark is the same either way, and a reduced request decodes a Node's conditions only
    when they are read (hooks.protocol.partial.LazyItems), so a rollout that needs the earliest time only
    for units on their way reads about one Node per online unit.
    """
    ready: list[str] = []
    not_ready: list[str] = []
    unknown = False
    for node in nodes:
        cond = condition(node)
        if cond is None:
            unknown = True
            continue
        since = cond.get("lastTransitionTime")
        readable = since if parse_time(since) is not None else None
        if cond.get("status") == "True":
            if readable is not None:
                if not earliest:
                    return Readiness(ready_since=readable)
                ready.append(readable)
        elif readable is None:
            unknown = True
        else:
            not_ready.append(readable)
    # Readable times are all in TIME_FORMAT, whose strings sort as the times they name.
    if ready:
        return Readiness(ready_since=min(ready))
    if not_ready and not unknown:
        return Readiness(not_ready_since=max(not_ready))
    return UNKNOWN


def nodeunit_readiness(obj: object) -> Readiness:
    """What a NodeUnit says (``spec.readySince`` / ``spec.notReadySince``); unknown when it says neither."""
    spec = mapping(obj, "spec")
    ready, dark = spec.get(READY_SINCE), spec.get(NOT_READY_SINCE)
    if parse_time(dark) is not None:
        return Readiness(not_ready_since=dark)
    if parse_time(ready) is not None:
        return Readiness(ready_since=ready)
    return UNKNOWN


def combined(found: Iterable[Readiness]) -> Readiness:
    """One unit's readiness from several records of it (NodeUnits of several NodeGroups of one key): online
    if any says so (since the oldest), dark if all say so (since the newest), else unknown."""
    found = list(found)
    ready = [r.ready_since for r in found if r.ready_since is not None]
    if ready:
        return Readiness(ready_since=min(ready, key=parse_time))
    if found and all(r.dark for r in found):
        return Readiness(not_ready_since=max((r.not_ready_since for r in found), key=parse_time))
    return UNKNOWN


def kept_readiness(fresh: Readiness, recorded: Readiness) -> Readiness:
    """The NodeGroup's rule: while a unit stays in the same state, keep the time recorded when it entered it.

    That is both more exact (a site with two nodes stays online while they take turns rebooting) and what
    keeps a NodeUnit from changing on per-node events.
    """
    if fresh.dark and recorded.dark:
        return recorded
    if fresh.ready_since is not None and recorded.ready_since is not None:
        return recorded
    return fresh


def readiness_fields(readiness: Readiness) -> dict:
    """The NodeUnit ``spec`` fields for ``readiness`` (none when unknown)."""
    if readiness.not_ready_since is not None:
        return {NOT_READY_SINCE: readiness.not_ready_since}
    if readiness.ready_since is not None:
        return {READY_SINCE: readiness.ready_since}
    return {}
