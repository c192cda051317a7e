"""Grid status computed only from what was observed: children's own status, never our wishes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hooks.grids.applied import GRACE_SECONDS
from hooks.kube.conditions import condition, with_transition_times
from hooks.sites.site_spec import NODESUMMARIES_SOURCE, NODEUNITS_SOURCE


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


MAX_ERROR_GROUPS = 5
MAX_UNITS_NAMED = 3
MAX_NAMED = 10
UNLISTED_UNITS = "UnitsWithoutNodeUnit"
UNSUMMARISED_UNITS = "UnitsWithoutNodeSummary"


def synced_condition(
    unit_errors: Mapping[str, str],
    units: int,
    not_applied: Sequence[str] = (),
    unlisted: Sequence[str] = (),
    source: str = NODEUNITS_SOURCE,
) -> dict:
    """``Synced``: True, or False naming each distinct error once with the units it hit, or the units whose
    child did not appear as rendered although Metacontroller applied it (``not_applied``,
    hooks.grids.applied), or the units kept because no NodeUnit (or, with ``source`` NodeSummaries, no summary
    yet) lists them (``unlisted``, hooks.grids.unlisted), in that order of precedence.

    An error every unit shares (a bad image in the template, a patch path no child has) is one line however
    many sites there are: ``all 1,000 units: <cause>``. Distinct causes are listed up to MAX_ERROR_GROUPS,
    each with up to MAX_UNITS_NAMED unit names, so the message stays short on 1,000 sites; every unit's
    own cause is in ``status.states[unit].error``.
    """
    if unit_errors:
        return condition("Synced", False, "UnitErrors", unit_errors_message(unit_errors, units))
    if not_applied:
        return condition("Synced", False, "ChildrenNotApplied", not_applied_message(sorted(not_applied)))
    if unlisted and source == NODESUMMARIES_SOURCE:
        return condition("Synced", False, UNSUMMARISED_UNITS, unsummarised_message(sorted(unlisted)))
    if unlisted:
        return condition("Synced", False, UNLISTED_UNITS, unlisted_message(sorted(unlisted)))
    return condition("Synced", True, "Synced", "every unit's child was rendered")


def named(units: Sequence[str], limit: int = MAX_NAMED) -> str:
    """``a, b, c and 7 more``: at most ``limit`` names, so messages stay short on 1,000 sites."""
    rest = len(units) - limit
    return ", ".join(units[:limit]) + (f" and {rest:,} more" if rest > 0 else "")


def not_applied_message(not_applied: Sequence[str]) -> str:
    return (
        f"{len(not_applied):,} unit(s) lack the child rendered for them {GRACE_SECONDS}s after Metacontroller "
        f"applied it: {named(not_applied)} (since when: status.notAppliedSince). The API server refuses the "
        "child (a ResourceQuota, an admission webhook, a LimitRange, an invalid or oversized field); a unit "
        "that had a child keeps running it. kubectl describe the grid for Metacontroller's SyncError events"
    )


def unlisted_message(unlisted: Sequence[str]) -> str:
    return (
        f"{len(unlisted):,} unit(s) have a child but no NodeUnit, so their children are kept as they are: "
        f"{named(unlisted)}. Normal for a moment while a NodeGroup is created or deleted; if it persists, the "
        "NodeUnit is gone without a tombstone: delete the unit's child by hand if the site is gone "
        "(docs/nodegroups.md)"
    )


def unsummarised_message(unlisted: Sequence[str]) -> str:
    return (
        f"{len(unlisted):,} unit(s) have a child but no NodeSummary yet, so their children are kept as they are: "
        f"{named(unlisted)}. Normal for a moment after switching to siteSource NodeSummaries or installing the "
        "node summary decorator; if it persists, check that decorator (kubectl get nodesummaries). A site whose "
        "nodes are gone keeps its child: delete it by hand (docs/reference.md#site-source)"
    )


def unit_errors_message(unit_errors: Mapping[str, str], units: int) -> str:
    """``<failed> of <units> units could not be rendered (...): <cause> (units a, b and 3 more); ...``."""
    groups = group_by_message(unit_errors)
    if len(groups) == 1 and len(unit_errors) == units:  # the head already says "all N units"
        groups_text = groups[0][0]
    else:
        groups_text = "; ".join(
            f"{message} ({units_phrase(failed, units)})" for message, failed in groups[:MAX_ERROR_GROUPS]
        )
    more = len(groups) - MAX_ERROR_GROUPS
    extra = f"; and {more} other error{'s' if more > 1 else ''}" if more > 0 else ""
    failed = len(unit_errors)
    head = f"all {failed:,} units" if failed == units else f"{failed:,} of {units:,} units"
    return f"{head} could not be rendered (an existing child is kept as it is): {groups_text}{extra}"


def group_by_message(unit_errors: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    """(message, sorted units) pairs, the most widespread message first, then by message."""
    groups: dict[str, list[str]] = {}
    for unit, message in sorted(unit_errors.items()):
        groups.setdefault(message, []).append(unit)
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))


def units_phrase(failed: Sequence[str], units: int) -> str:
    """``all 1,000 units``, ``unit a``, ``units a, b, c and 7 more``."""
    if len(failed) == units and units > 1:
        return f"all {units:,} units"
    return f"unit{'s' if len(failed) > 1 else ''} {named(failed, MAX_UNITS_NAMED)}"


def grid_status(
    states: dict[str, dict],
    synced: dict,
    previous: object,
    now: str,
    extra: Sequence[dict] = (),
    created: object = None,
) -> dict:
    """``units``, ``readyUnits``, ``states`` and the conditions: ``Ready``, ``Synced``, then any kind-specific ones.

    ``created`` is the grid's ``creationTimestamp`` (the conditions' time in its first status)."""
    units = len(states)
    ready = sum(1 for s in states.values() if s.get("ready"))
    conditions = [ready_condition(units, ready), synced, *extra]
    return {
        "units": units,
        "readyUnits": ready,
        "states": states,
        "conditions": with_transition_times(conditions, previous, now, created),
    }


def invalid_spec_status(previous: object, reason: str, message: str, now: str, created: object = None) -> dict:
    """Keep the last status, replacing only ``Synced``: a broken spec must not erase what is known."""
    kept = dict(previous) if isinstance(previous, Mapping) else {}
    old = [c for c in kept.get("conditions") or [] if isinstance(c, Mapping) and c.get("type") != "Synced"]
    synced = condition("Synced", False, reason, message)
    kept["conditions"] = [*old, *with_transition_times([synced], previous, now, created)]
    return kept
