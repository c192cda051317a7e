"""Which asked-for children did not appear: refusals told apart from the normal latency of an apply.

Metacontroller tells the hook nothing about a child the API server refused (quota, admission webhook,
LimitRange, an annotation too large): it records a ``SyncError`` event and the next sync request simply
carries no child, or the old one. The hook is stateless, so what it asked for is remembered in the
grid's own status, in two stages per *entry* (a unit, or a ServiceGrid's shared Service):

1. ``status.applying`` maps each entry whose rendered child the hook sends but does not observe (absent,
   or without the ``superedge.io/revision`` stamp of what is rendered now: hooks.grids.revision) to that
   stamp. That is normal in the sync that introduces a change: the request shows the world before
   Metacontroller applies the answer.
2. A later sync whose previous status already lists an entry as applying *the same stamp* knows that
   Metacontroller has applied that answer: it writes a grid's status only after it has created and
   updated the children (v4.17.2, ``syncParentObject``: ``ManageChildren`` then ``updateParentStatus``).
   An entry still not observed then moves to ``status.notAppliedSince`` with the sync's time, and is named
   in ``Synced=False``, reason ``ChildrenNotApplied``, once that time is GRACE_SECONDS old. Metacontroller
   is asked to resync at that deadline. A different stamp is a new ask: back to stage 1, so two changes
   in quick succession on a large grid never count the second one's apply time against the grace.
   Once in stage 2 the clock runs on through later changes: the unit has lacked its child that long, and
   a refusal already named must not turn ``Synced`` back to True just because the spec changed again.

The grace period therefore does not have to cover the time Metacontroller takes to create hundreds of
children under its client rate limit: that time passes before stage 2 begins. It covers only a watch
cache that has not caught up yet with a child created a moment before, and a transient failure of one
create that Metacontroller's retry repairs. In quiet (every child observed as rendered) both fields are
absent and nothing changes from one sync to the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hooks.kube.times import parse_time, seconds_to_earliest_deadline

APPLYING = "applying"
NOT_APPLIED_SINCE = "notAppliedSince"
GRACE_SECONDS = 30
"""Seconds an entry may stay unobserved after Metacontroller applied it before the grid names it."""


@dataclass(frozen=True)
class Applied:
    """The outcome of one sync for the asked-for children."""

    applying: dict[str, str] = field(default_factory=dict)
    """Entry -> the stamp sent this sync and not observed, not (yet) known to have been applied."""
    since: dict[str, str] = field(default_factory=dict)
    """Entry -> since when it is known not to have appeared although Metacontroller applied it."""
    overdue: tuple[str, ...] = ()
    """Entries unobserved for GRACE_SECONDS after Metacontroller applied them: named in ``Synced`` (sorted)."""
    resync_after: int | None = None
    """Seconds until the earliest deadline of an entry not yet overdue."""


def track(pending: Mapping[str, str], previous: object, now: str, grace: int = GRACE_SECONDS) -> Applied:
    """The two stages for ``pending``: entry -> the stamp of the child sent for it, which it does not carry.

    Only entries whose fresh child is sent this sync and not observed belong in ``pending``: an entry
    observed as rendered, or whose child is kept as it is (a unit that failed, a rollout holding it back,
    a unit no NodeUnit lists), is not pending, so its records in the previous status are dropped.
    ``previous`` is the grid's status as the request shows it; a stale one (Metacontroller's cache a
    moment behind) can only start a clock later, never name an entry earlier.
    """
    was_applying, was_missing = _records(previous)
    current = parse_time(now)
    applying: dict[str, str] = {}
    since: dict[str, str] = {}
    for entry, revision in sorted(pending.items()):
        recorded = was_missing.get(entry)
        started = parse_time(recorded)
        if recorded is not None and started is not None and current is not None and started <= current:
            since[entry] = recorded
        elif recorded is not None or was_applying.get(entry) == revision:
            since[entry] = now  # Metacontroller has applied it (or the record is nonsense): the clock starts
        else:
            applying[entry] = revision
    overdue = tuple(e for e, t in since.items() if _elapsed(t, now) >= grace)
    waiting = [t for e, t in since.items() if e not in overdue]
    return Applied(applying, since, overdue, seconds_to_earliest_deadline(waiting, grace, now))


def _records(previous: object) -> tuple[Mapping[str, str], Mapping[str, str]]:
    """The two records as the previous status holds them; anything malformed counts as absent."""
    if not isinstance(previous, Mapping):
        return {}, {}
    return _strings(previous.get(APPLYING)), _strings(previous.get(NOT_APPLIED_SINCE))


def _strings(record: object) -> dict[str, str]:
    return {k: v for k, v in record.items() if isinstance(v, str)} if isinstance(record, Mapping) else {}


def _elapsed(since: str, now: str) -> float:
    start, current = parse_time(since), parse_time(now)
    return (current - start).total_seconds() if start is not None and current is not None else 0.0


def with_applied(status: dict, applied: Applied) -> dict:
    """``status`` with the two records, each present only while it has entries (absent in quiet)."""
    if applied.applying:
        status[APPLYING] = dict(sorted(applied.applying.items()))
    if applied.since:
        status[NOT_APPLIED_SINCE] = dict(sorted(applied.since.items()))
    return status


def with_resync(response: dict, seconds: int | None) -> dict:
    """Ask Metacontroller to resync after ``seconds`` unless the answer already asks for an earlier one."""
    if seconds is None:
        return response
    asked = response.get("resyncAfterSeconds")
    response["resyncAfterSeconds"] = seconds if asked is None else min(asked, seconds)
    return response
