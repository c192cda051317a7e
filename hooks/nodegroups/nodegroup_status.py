"""A NodeGroup's status: per site, its nodes' health and which workloads are not ready there.

Sizes are kept bounded for fleets of 1,000+ sites: node health is counted
rather than listed twice, and each unit names at most
``MAX_LISTED_WORKLOADS`` not-ready grids (``workloads - readyWorkloads`` is the
full count), so a fleet-wide rollout cannot push the object past etcd's limit.
"""

from __future__ import annotations

from collections.abc import Mapping

from hooks.grids.grid_status import ready_condition
from hooks.kube.conditions import condition, with_transition_times
from hooks.nodegroups.workload_readiness import UnitWorkloads
from hooks.sites.units import node_name, node_ready

MAX_LISTED_WORKLOADS = 10
NO_UNITS = "no node carries the NodeGroup's unit label"


def unit_entry(nodes: list[Mapping], workloads: UnitWorkloads) -> dict:
    """One ``nodeUnits`` entry. A unit is ready when it has a Ready node and no not-ready workload.

    A workload whose autoscaler there cannot scale is counted (``unableToScaleWorkloads``, present only then)
    but does not make the unit not ready: its pods run, they just do not follow the load.
    """
    ready_nodes = sum(1 for n in nodes if node_ready(n))
    not_ready = workloads.not_ready
    scaling = {}
    if workloads.cannot_scale:
        scaling = {
            "unableToScaleWorkloads": len(workloads.cannot_scale),
            "unableToScale": workloads.cannot_scale[:MAX_LISTED_WORKLOADS],
        }
    return {
        **scaling,
        "nodes": [node_name(n) for n in nodes],
        "readyNodes": ready_nodes,
        "notReadyNodes": len(nodes) - ready_nodes,
        "workloads": workloads.expected,
        "readyWorkloads": workloads.expected - len(not_ready),
        "notReadyWorkloads": not_ready[:MAX_LISTED_WORKLOADS],
        "ready": ready_nodes > 0 and not not_ready,
    }


def nodegroup_status(
    node_units: dict[str, dict],
    previous: object,
    now: str,
    name_errors: Mapping[str, str] | None = None,
    created: object = None,
) -> dict:
    """``units``, ``readyUnits``, ``nodeUnits`` and the ``AllUnitsReady`` and ``Synced`` conditions.

    ``name_errors`` names the units that got no NodeUnit (see :func:`hooks.sites.nodeunit.nodeunit_children`).
    """
    ready = sum(1 for entry in node_units.values() if entry["ready"])
    conditions = [ready_condition(len(node_units), ready, "AllUnitsReady", NO_UNITS), _synced(name_errors or {})]
    status = {
        "units": len(node_units),
        "readyUnits": ready,
        "nodeUnits": node_units,
        "conditions": with_transition_times(conditions, previous, now, created),
    }
    unable = sum(1 for entry in node_units.values() if entry.get("unableToScaleWorkloads"))
    if unable:
        status["unitsUnableToScale"] = unable
    return status


def _synced(name_errors: Mapping[str, str]) -> dict:
    if not name_errors:
        return condition("Synced", True, "Synced", "status computed from the observed Nodes and workload grids")
    shown = "; ".join(f"{unit}: {msg}" for unit, msg in sorted(name_errors.items()))
    return condition("Synced", False, "NodeUnitNameCollision", f"{len(name_errors)} unit(s) have no NodeUnit: {shown}")
