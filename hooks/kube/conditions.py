"""Status conditions whose ``lastTransitionTime`` only moves when the status flips, and never backwards.

The clock is the one impure input of the hooks; it arrives as the ``now``
argument so the functions stay deterministic under test.
"""

from __future__ import annotations

from collections.abc import Mapping

from hooks.kube.times import TIME_FORMAT, parse_time


def condition(ctype: str, ok: bool, reason: str, message: str) -> dict:
    return {"type": ctype, "status": "True" if ok else "False", "reason": reason, "message": message}


def with_transition_times(new: list[dict], previous_status: object, now: str, created: object = None) -> list[dict]:
    """Stamp each condition: the previous time when its status did not change, else the transition's time.

    A transition's time is ``now``, but never earlier than the newest ``lastTransitionTime`` of any
    condition in the previous status: two hook replicas whose clocks differ by a few seconds must not
    write a flip that seems to precede one already recorded. In the object's first status (the previous
    one has no condition) it is ``created``, the object's ``creationTimestamp``, when readable: every sync
    that reads the object before its first status is stored then answers the same time, so a sync on a
    cache that lags Metacontroller's first write cannot store a later time that the next sync puts back
    (docs/decisions.md, "Condition times").
    """
    old = {}
    if isinstance(previous_status, Mapping) and isinstance(previous_status.get("conditions"), list):
        old = {c.get("type"): c for c in previous_status["conditions"] if isinstance(c, Mapping)}
    first = not old and parse_time(created) is not None
    flipped_at = created if first else transition_time(old.values(), now)
    stamped = []
    for cond in new:
        before = old.get(cond["type"])
        kept = before and before.get("status") == cond["status"] and isinstance(before.get("lastTransitionTime"), str)
        stamped.append({**cond, "lastTransitionTime": before["lastTransitionTime"] if kept else flipped_at})
    return stamped


def transition_time(previous: object, now: str) -> str:
    """``now``, or the newest readable ``lastTransitionTime`` among ``previous`` conditions when that is later."""
    current = parse_time(now)
    times = [parse_time(c.get("lastTransitionTime")) for c in previous if isinstance(c, Mapping)]
    latest = max((t for t in times if t is not None), default=None)
    if current is None or latest is None or latest <= current:
        return now
    return latest.strftime(TIME_FORMAT)
