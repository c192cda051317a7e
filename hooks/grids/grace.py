"""Grace period for vanished units (``spec.unitRemovalGracePeriodSeconds``), kept without state.

When the last node of a unit disappears (a reboot, a relabel, a flapping
network) the child is kept for the grace period instead of being deleted.
The moment the unit was first seen missing is written into an annotation on
the child itself, so the next sync, on any hook replica, reads it back; and
Metacontroller is asked to resync at the deadline. A unit that comes back
simply renders again, and the annotation disappears with the next apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from hooks.kube.names import NameOf
from hooks.kube.objects import mapping, with_annotation
from hooks.kube.times import TIME_FORMAT, parse_time, seconds_to_earliest_deadline
from hooks.protocol.partial import TEXT, TEXT_MAP
from hooks.sites.site_spec import SiteSpec

MISSING_SINCE = "superedge.io/unit-missing-since"

GRACE_FIELDS = {"metadata": {"labels": TEXT_MAP, "annotations": {MISSING_SINCE: TEXT}}}
"""What :func:`departing_units` reads of an observed child (hooks.protocol.partial): its unit label and our mark."""


def departing_units(
    observed: Iterable[Mapping], key: str, live: Iterable[str], grace: int, now: str, name_of: NameOf
) -> dict[str, str]:
    """Units that have an observed child but no nodes, still inside the grace period: unit -> missing since.

    A child counts only if it is *the* child of its unit (``name_of(unit)``): a shared child that merely
    carries the key label (say, inherited from the grid's own labels) must not conjure up a unit.
    """
    current = parse_time(now)
    if grace <= 0 or current is None:
        return {}
    live_units = set(live)
    out: dict[str, str] = {}
    for child in observed:
        meta = mapping(child, "metadata")
        unit = mapping(meta, "labels").get(key)
        if not isinstance(unit, str) or not unit or unit in live_units or meta.get("name") != name_of(unit):
            continue
        recorded = mapping(meta, "annotations").get(MISSING_SINCE)
        started = parse_time(recorded)
        since = recorded if started is not None and started <= current else now  # nonsense restarts the clock
        if (current - parse_time(since)).total_seconds() < grace:
            out[unit] = since
    return out


def deadline(since: str, grace: int) -> str:
    start = parse_time(since)
    return datetime.fromtimestamp(start.timestamp() + grace, UTC).strftime(TIME_FORMAT)


def resync_after(departing: Mapping[str, str], grace: int, now: str) -> int | None:
    """Seconds until the earliest deadline (at least 1), or None when nothing is departing."""
    return seconds_to_earliest_deadline(departing.values(), grace, now)


def with_departures(response: dict, departing: Mapping[str, str], sites: SiteSpec, now: str, name_of: NameOf) -> dict:
    """Mark the departing units' children and states, and ask for a resync at the earliest deadline."""
    if not departing:
        return response
    grace = sites.grace_seconds
    marks = {name_of(unit): since for unit, since in departing.items()}
    children = [_marked(c, marks) for c in response["children"]]
    states = dict(response["status"].get("states") or {})
    for unit, since in departing.items():
        states[unit] = {**states.get(unit, {}), "removalAt": deadline(since, grace)}
    status = {**response["status"], "states": states}
    return {
        **response,
        "children": children,
        "status": status,
        "resyncAfterSeconds": min(
            s for s in (resync_after(departing, grace, now), response.get("resyncAfterSeconds")) if s is not None
        ),
    }


def _marked(child: dict, marks: Mapping[str, str]) -> dict:
    name = mapping(child, "metadata").get("name")
    return mark_departing(child, marks[name]) if name in marks else child


def mark_departing(child: dict, since: str) -> dict:
    """The child with the missing-since annotation added (path copy, the input is not changed)."""
    return with_annotation(child, MISSING_SINCE, since)
