"""Grid status computed only from what was observed: children's own status, never our wishes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hooks.kube.conditions import condition, with_transition_times


def ready_condition(
    units: int,
    ready: int,
    ctype: str = "Ready",
    no_units: str = "no selected node (or NodeUnit) has a value for the grid's unit label",
) -> dict:
    """The summary condition over units; NodeGroups use it too, as ``AllUnitsReady``."""
    if units == 0:
        return condition(ctype, False, "NoUnits", no_units)
    if ready == units:
        return condition(ctype, True, "AllUnitsReady", f"all {units} units are ready")
    return condition(ctype, False, "UnitsNotReady", f"{ready} of {units} units are ready")


UNLISTED_UNITS = "UnitsWithoutNodeUnit"


def synced_condition(
    unit_errors: Mapping[str, str], unlanded: Sequence[str] = (), unlisted: Sequence[str] = ()
) -> dict:
    """``Synced``: every unit rendered, every observed child carrying what was rendered for it, and every unit
    with a child listed by the request (``unlisted``: kept because no NodeUnit lists it, hooks.grids.unlisted).

    Per-unit errors come first, then children the API server has not taken, then unlisted units.
    """
    if unit_errors:
        shown = "; ".join(f"{unit}: {msg}" for unit, msg in sorted(unit_errors.items())[:10])
        more = f" (and {len(unit_errors) - 10} more)" if len(unit_errors) > 10 else ""
        message = f"{len(unit_errors)} unit(s) could not be rendered (an existing child is kept as it is): "
        message += shown + more
        return condition("Synced", False, "UnitErrors", message)
    if unlanded:
        shown = ", ".join(sorted(unlanded)[:10])
        more = f" (and {len(unlanded) - 10} more)" if len(unlanded) > 10 else ""
        message = (
            f"{len(unlanded)} unit(s) do not carry their rendered child yet: {shown}{more}. Right after a change "
            "this clears on the next sync; if it stays, the API server refuses the child: "
            "kubectl describe the grid for SyncError events"
        )
        return condition("Synced", False, "ChildrenNotApplied", message)
    if unlisted:
        names = sorted(unlisted)
        shown = ", ".join(names[:10]) + (f" (and {len(names) - 10} more)" if len(names) > 10 else "")
        message = (
            f"{len(names)} unit(s) have a child but no NodeUnit, so their children are kept as they are: {shown}. "
            "Normal for a moment while a NodeGroup is created or deleted; if it persists, the NodeUnit is gone "
            "without a tombstone: delete the unit's child by hand if the site is gone (docs/nodegroups.md)"
        )
        return condition("Synced", False, UNLISTED_UNITS, message)
    return condition("Synced", True, "Synced", "every unit's child was rendered")


def grid_status(states: dict[str, dict], synced: dict, previous: object, now: str, extra: Sequence[dict] = ()) -> dict:
    """``units``, ``readyUnits``, ``states`` and the conditions: ``Ready``, ``Synced``, then any kind-specific ones."""
    units = len(states)
    ready = sum(1 for s in states.values() if s.get("ready"))
    conditions = [ready_condition(units, ready), synced, *extra]
    return {
        "units": units,
        "readyUnits": ready,
        "states": states,
        "conditions": with_transition_times(conditions, previous, now),
    }


def invalid_spec_status(previous: object, reason: str, message: str, now: str) -> dict:
    """Keep the last status, replacing only ``Synced``: a broken spec must not erase what is known."""
    kept = dict(previous) if isinstance(previous, Mapping) else {}
    old = [c for c in kept.get("conditions") or [] if isinstance(c, Mapping) and c.get("type") != "Synced"]
    synced = condition("Synced", False, reason, message)
    kept["conditions"] = [*old, *with_transition_times([synced], previous, now)]
    return kept
