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
   An entry still not observed then gets the sync's time in ``status.notAppliedSince`` (it stays in
   ``applying``), and is named in ``Synced=False``, reason ``ChildrenNotApplied``, once that time is
   GRACE_SECONDS old. Metacontroller is asked to resync at that deadline.

A different stamp is a new ask: back to stage 1, so two changes in quick succession on a large grid never
count the second one's apply time against the grace. Only an entry already named keeps its clock through
a new ask: a refusal must not turn ``Synced`` back to True just because the spec changed again; the entry
leaves as soon as its new child is observed.

The grace period therefore does not have to cover the time Metacontroller takes to create hundreds of
children under its client rate limit: that time passes before stage 2 begins. It covers only a watch
cache that has not caught up yet with a child created a moment before, and a transient failure of one
create that Metacontroller's retry repairs. In quiet (every child observed as rendered) both fields are
absent and nothing changes from one sync to the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from hooks.kube.times import parse_time, seconds_to_earliest_deadline

APPLYING = "applying"
NOT_APPLIED_SINCE = "notAppliedSince"
GRACE_SECONDS = 30
"""Seconds an entry may stay unobserved after Metacontroller applied it before the grid names it."""
RETRY_SECONDS = 60
"""While an entry is named, Metacontroller is asked to resync this often, so the child is sent again soon
after its cause is fixed (a quota raised): Metacontroller's own retry after a failed create backs off
exponentially up to 1,000 s, and a grid of ``siteSource: NodeUnits`` has no node heartbeat to wake it."""


@dataclass(frozen=True)
class Applied:
    """The outcome of one sync for the asked-for children."""

    applying: dict[str, str] = field(default_factory=dict)
    """Entry -> the stamp sent this sync and not observed (both stages)."""
    since: dict[str, str] = field(default_factory=dict)
    """Entry -> since when it is known not to have appeared although Metacontroller applied it."""
    overdue: tuple[str, ...] = ()
    """Entries unobserved for GRACE_SECONDS after Metacontroller applied them: named in ``Synced`` (sorted)."""
    resync_after: int | None = None
    """Seconds until the earliest deadline of an entry not yet overdue, or RETRY_SECONDS while one is."""


class Pending(NamedTuple):
    """One entry whose observed child does not carry what is sent for it."""

    asked: str
    """The stamp of the child sent this sync."""
    observed: str | None
    """The stamp the observed child carries (None: no child, or an unstamped one)."""


def track(pending: Mapping[str, Pending], previous: object, now: str, grace: int = GRACE_SECONDS) -> Applied:
    """The two stages for ``pending``: each entry whose fresh child is sent this sync and not observed.

    An entry observed as rendered, or whose child is kept as it is (a unit that failed, a rollout holding
    it back, a unit no NodeUnit lists), is not pending, so its records in the previous status are dropped.
    ``previous`` is the grid's status as the request shows it. It may be a moment old (Metacontroller's
    cache behind its own last write): a record whose stamp the observed child now carries has been
    overtaken (that child landed), and is ignored rather than allowed to resume an old clock.
    """
    was_applying, was_missing = _records(previous)
    current = parse_time(now)
    since: dict[str, str] = {}
    for entry, p in sorted(pending.items()):
        recorded, stamp = was_missing.get(entry), was_applying.get(entry)
        if p.observed is not None and p.observed == stamp:
            continue  # an overtaken record: what it waited for has landed, so this is a new ask
        started = parse_time(recorded)
        valid = recorded is not None and started is not None and current is not None and started <= current
        if valid and (stamp == p.asked or _elapsed(recorded, now) >= grace):
            since[entry] = recorded  # the same ask still missing, or a refusal already named: the clock runs on
        elif stamp == p.asked:
            since[entry] = now  # Metacontroller has applied it (or the record is nonsense): the clock starts
    overdue = tuple(e for e, t in since.items() if _elapsed(t, now) >= grace)
    waiting = [t for e, t in since.items() if e not in overdue]
    applying = {entry: p.asked for entry, p in sorted(pending.items())}
    return Applied(applying, since, overdue, _resync(waiting, bool(overdue), grace, now))


def _resync(waiting: list[str], named: bool, grace: int, now: str) -> int | None:
    """At the earliest deadline; while an entry is named, at least every RETRY_SECONDS (see there)."""
    deadline = seconds_to_earliest_deadline(waiting, grace, now)
    retry = RETRY_SECONDS if named else None
    return min((s for s in (deadline, retry) if s is not None), default=None)


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
