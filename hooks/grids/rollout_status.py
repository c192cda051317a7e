"""``status.rollout`` and the ``Rollout`` condition, worded from where the rollout stands (rollout_facts).

Both stay small at any fleet size: counts are exact, at most LISTED units are named in a list or a message.
The condition's reason is the rollout's state, which is also the ``ROLLOUT`` printer column.
"""

from __future__ import annotations

from hooks.grids.grid_status import named
from hooks.grids.rollout_facts import (
    COMPLETE,
    DEGRADED,
    HALTED,
    PAUSED,
    ROLLED_BACK,
    STUCK,
    WAITING_FOR_OFFLINE,
    Standing,
    UnitFacts,
)
from hooks.kube.conditions import condition

CONDITION = "Rollout"
LISTED = 10
"""At most this many units are named in a list or a message; counts are always exact."""


def rollout_status(s: Standing) -> dict:
    """``status.rollout``: per-step counts, the current step, and the units on their way, deferred, failed."""
    everyone = s.everyone
    out: dict = {
        "revision": s.revision,
        "state": s.state,
        "units": len(everyone),
        "updatedUnits": sum(f.updated for f in everyone),
        "healthyUnits": sum(f.healthy for f in everyone),
        "heldUnits": len(s.held),
        "steps": [
            {
                "name": step.name,
                "units": len(m),
                "updated": sum(f.updated for f in m),
                "healthy": sum(f.healthy for f in m),
                "maxUpdating": step.max_updating.of(len(m)),
            }
            for step, m in zip(s.spec.steps, s.members, strict=True)
        ],
    }
    if s.current is not None:
        on_way = sorted({*s.moving, *(f.unit for f in s.on_way)})
        out["step"] = s.spec.steps[s.current].name
        out["stepIndex"] = s.current
        out["updating"] = on_way[:LISTED]
        out["updatingUnits"] = len(on_way)
    if s.deferred:
        out["deferredUnits"] = len(s.deferred)
        out["deferred"] = s.deferred[:LISTED]
    if s.failed:
        out["failedUnits"] = len(s.failed)
        out["failed"] = failed_entries(s)
    if s.state in (HALTED, ROLLED_BACK) and s.failed:
        out["haltedUnits"] = len(s.failed)
        out["halted"] = failed_entries(s)
    if s.rolled_back_to is not None:
        out["rolledBackTo"] = s.rolled_back_to
        out["rolledBackUnits"] = len(s.rolled_back)
    return out


def failed_entries(s: Standing) -> list[dict]:
    reason = f"not healthy {s.spec.deadline_seconds}s after it was updated"
    return [{"unit": f.unit, "since": f.started, "reason": reason} for f in _by_unit(s.failed)[:LISTED]]


def rollout_condition(s: Standing) -> dict:
    """The ``Rollout`` condition: True only when Complete; its reason is the state."""
    total = len(s.everyone)
    if s.state == COMPLETE:
        return condition(CONDITION, True, COMPLETE, f"all {total} units are healthy on revision {s.revision}")
    if s.state == WAITING_FOR_OFFLINE:
        return condition(
            CONDITION,
            False,
            WAITING_FOR_OFFLINE,
            f"every online unit is healthy on revision {s.revision}; only {_deferred(s)} left: they keep their "
            "child until they are back online, then move under their step's maxUpdating",
        )
    if s.state == DEGRADED:
        return condition(
            CONDITION,
            False,
            DEGRADED,
            f"every step is done on revision {s.revision}, but {_failed(s)}, within spec.rollout.maxFailedUnits "
            f"({s.budget}); they keep their new child" + (f"; {_deferred(s)} left" if s.deferred else ""),
        )
    if s.state == ROLLED_BACK:
        why = f" ({s.note})" if s.note else ""
        return condition(
            CONDITION,
            False,
            ROLLED_BACK,
            f"revision {s.revision} failed{why} and was rolled back: the {len(s.rolled_back)} unit(s) that had "
            f"moved to it ({named(s.rolled_back)}) are rendered from revision {s.rolled_back_to}, the last that "
            "completed, and new sites get it too; the other units keep their child. The grid's spec is unchanged: "
            "a spec change (a new revision) starts a new rollout",
        )
    where = _where(s)
    if s.state == HALTED:
        names = named([f.unit for f in _by_unit(s.failed)])
        after = s.note or (
            "nothing is rolled back; it resumes when they are healthy, and a spec change (e.g. the template edited "
            "back) is a new revision"
        )
        return condition(
            CONDITION,
            False,
            HALTED,
            f"{names} not healthy within {s.spec.deadline_seconds}s of being updated ({len(s.failed)} failed, more "
            f"than spec.rollout.maxFailedUnits {s.budget}): no further unit moves; {where}. {after[0].upper()}"
            f"{after[1:]}",
        )
    if s.state == PAUSED:
        return condition(CONDITION, False, PAUSED, f"spec.rollout.paused: no unit moves; {where}")
    if s.state == STUCK:
        return condition(
            CONDITION,
            False,
            STUCK,
            f"the step cannot complete: {named(s.blocked)} cannot be rendered (see the Synced condition and "
            f"status.states[unit].error) and nothing else is moving; fix the spec; {where}",
        )
    return condition(CONDITION, False, s.state, where)


def _where(s: Standing) -> str:
    """The current step's figures, and what else holds the rollout up."""
    if s.current is None:
        return f"every step is done; {_failed(s)}" if s.failed else "every step is done"
    m = s.members[s.current]
    text = (
        f"step {s.spec.steps[s.current].name} ({s.current + 1} of {len(s.spec.steps)}): "
        f"{sum(f.updated for f in m)} of {len(m)} units updated, {sum(f.healthy for f in m)} healthy; "
        f"{len(s.held)} unit(s) keep an older child"
    )
    if s.blocked and s.state != STUCK:
        text += f"; the step waits for {named(s.blocked)}, which cannot be rendered (see the Synced condition)"
    if s.failed and s.state not in (HALTED, ROLLED_BACK):
        text += f"; {_failed(s)} (within spec.rollout.maxFailedUnits {s.budget})"
    if s.deferred:
        text += f"; {_deferred(s)} deferred"
    return text


def _failed(s: Standing) -> str:
    return f"{len(s.failed)} unit(s) failed ({named([f.unit for f in _by_unit(s.failed)])})"


def _deferred(s: Standing) -> str:
    return f"{len(s.deferred)} offline unit(s) ({named(s.deferred)})"


def _by_unit(facts: list[UnitFacts]) -> list[UnitFacts]:
    return sorted(facts, key=lambda f: f.unit)
