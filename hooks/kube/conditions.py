"""Status conditions whose ``lastTransitionTime`` only moves when the status flips.

The clock is the one impure input of the hooks; it arrives as the ``now``
argument so the functions stay deterministic under test.
"""

from __future__ import annotations

from collections.abc import Mapping


def condition(ctype: str, ok: bool, reason: str, message: str) -> dict:
    return {"type": ctype, "status": "True" if ok else "False", "reason": reason, "message": message}


def with_transition_times(new: list[dict], previous_status: object, now: str) -> list[dict]:
    """Stamp each condition, keeping the old time when its status did not change."""
    old = {}
    if isinstance(previous_status, Mapping) and isinstance(previous_status.get("conditions"), list):
        old = {c.get("type"): c for c in previous_status["conditions"] if isinstance(c, Mapping)}
    stamped = []
    for cond in new:
        before = old.get(cond["type"])
        kept = before and before.get("status") == cond["status"] and isinstance(before.get("lastTransitionTime"), str)
        stamped.append({**cond, "lastTransitionTime": before["lastTransitionTime"] if kept else now})
    return stamped
