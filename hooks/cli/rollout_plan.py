"""``servicegroup render --plan``: a grid's rollout steps and what each unit gets on the next sync.

Read from the very answer the sync hook gave (offline, from the given Nodes and observed children), so
the plan cannot disagree with what the server would do; only the step of each unit is worked out again
here, with the same functions the hook uses (hooks.grids.rollout).
"""

from __future__ import annotations

from collections.abc import Mapping

from hooks.grids.grid_spec import parse_workload_spec
from hooks.grids.revision import observed_revision
from hooks.grids.rollout import step_of, unit_node_labels
from hooks.kube.errors import SpecError
from hooks.sites.discovery import sites_from_request


def rollout_plan(
    label: str, parent: Mapping, response: Mapping, children: Mapping[str, Mapping], related: Mapping
) -> list[str] | None:
    """Lines of text for a grid with ``spec.rollout`` (None for any other grid)."""
    status = response.get("status") or {}
    rollout = status.get("rollout")
    if not isinstance(rollout, Mapping):
        return None
    try:
        spec = parse_workload_spec(parent.get("spec"))
    except SpecError:
        return None  # not reached: the hook answered with a rollout status, so the spec parsed
    assert spec.rollout is not None
    steps = spec.rollout.steps
    labels = unit_node_labels(spec.sites, sites_from_request(spec.sites, related), spec.rollout.uses_node_labels)
    observed = {name.split("/", 1)[-1]: obj for child_map in children.values() for name, obj in child_map.items()}
    desired = {c["metadata"]["name"]: c for c in response.get("children") or []}
    head = f"{label}: rollout {rollout['state']}, revision {rollout['revision']}"
    if "step" in rollout:
        head += f", step {rollout['step']} ({rollout['stepIndex'] + 1} of {len(steps)})"
    if spec.rollout.paused:
        head += ", paused"
    if "rolledBackTo" in rollout:
        head += f", rolled back to revision {rollout['rolledBackTo']}"
    for count, what in (("failedUnits", "failed"), ("deferredUnits", "offline, deferred")):
        if rollout.get(count):
            head += f", {rollout[count]} {what}"
    rows = [("STEP", "UNIT", "NEXT SYNC")]
    order = {unit: step_of(steps, unit, unit_labels) for unit, unit_labels in labels.items()}
    states = status.get("states") or {}
    for unit in sorted(states, key=lambda u: (order.get(u, len(steps)), u)):
        step = steps[order[unit]].name if unit in order else "- (departing)"
        name = _child_name(desired, observed, unit, parent)
        action = _action(
            states[unit], desired.get(name), observed.get(name), rollout["state"], rollout.get("rolledBackTo")
        )
        rows.append((step, unit, action))
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    return [head, *(f"  {r[0]:<{width[0]}}  {r[1]:<{width[1]}}  {r[2]}" for r in rows)]


def _child_name(desired: Mapping, observed: Mapping, unit: str, parent: Mapping) -> str:
    """The name of the unit's child among those answered (by its unit label)."""
    key = parent["spec"]["gridUniqKey"]
    for name, child in [*desired.items(), *observed.items()]:
        if (child.get("metadata") or {}).get("labels", {}).get(key) == unit:
            return name
    return ""


def _action(state: Mapping, desired: Mapping | None, seen: Mapping | None, rollout: str, back: str | None) -> str:
    if "error" in state:
        return f"keep (cannot be rendered: {state['error']})"
    if "removalAt" in state:
        return f"departing (no nodes; removed at {state['removalAt']})"
    moves = seen is None or (desired is not None and observed_revision(desired) != observed_revision(seen))
    if state.get("rolledBack"):
        return f"roll back to revision {back}" if moves else f"rolled back (on revision {back})"
    if rollout == "RolledBack":
        return "keep (never moved" + (", offline)" if state.get("offline") else ")")
    if seen is None:
        return "create (a new site gets the current revision at once)"
    offline = ", offline" if state.get("offline") else ""
    if state.get("updated"):
        if state.get("failed"):
            verdict = "HALTED" if rollout == "Halted" else "FAILED (within maxFailedUnits)"
            return f"current{offline}, {verdict}: not healthy within the progress deadline"
        return f"current{offline}" if state.get("ready") or offline else "current, not healthy yet"
    if offline:
        return "keep (offline: deferred until it is back online)"
    if moves:
        return "update (moves to the current revision)"
    return "keep (waits for its turn)"
