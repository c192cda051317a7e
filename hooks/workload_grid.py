"""Sync and customize hooks of DeploymentGrid and StatefulSetGrid (one engine, two kinds)."""

from __future__ import annotations

from collections.abc import Mapping

from hooks.children import kept_child
from hooks.errors import SpecError
from hooks.grid_spec import WorkloadSpec, parse_workload_spec, template_for
from hooks.grid_status import grid_status, invalid_spec_status, synced_condition
from hooks.request import objects_of, parent_of, sync_parts
from hooks.selectors import with_key_exists
from hooks.units import discover_units
from hooks.workload import WorkloadKind, base_child, is_ready, pin_to_unit, status_figures, unit_child_name

NODES = "Node.v1"


def customize(request: object, kind: WorkloadKind) -> dict:
    """Ask Metacontroller for the Nodes that carry the grid's key and pass its nodeSelector.

    Depends only on the parent's spec (Metacontroller caches it per generation).
    An invalid spec asks for nothing; the sync hook then reports the problem.
    """
    parent = parent_of(request)
    try:
        spec = parse_workload_spec(parent.get("spec"))
    except SpecError:
        return {"relatedResources": []}
    selector = with_key_exists(spec.sites.node_selector, spec.sites.key)
    return {"relatedResources": [{"apiVersion": "v1", "resource": "nodes", "labelSelector": selector}]}


def sync(request: object, kind: WorkloadKind, now: str) -> dict:
    """One child per unit, each pinned to its unit; observed children kept on any spec error."""
    parent, children, related = sync_parts(request)
    observed = {obj["metadata"]["name"]: obj for obj in _named(objects_of(children, kind.child_type))}
    try:
        spec = parse_workload_spec(parent.get("spec"))
    except SpecError as err:
        return _keep_everything(parent, observed, "InvalidSpec", str(err), now)
    if NODES not in related:
        return _keep_everything(parent, observed, "NodesNotObserved", "the request carried no Node list", now)
    units = discover_units(objects_of(related, NODES), spec.sites.key, spec.sites.node_selector)
    return render_units(parent, spec, kind, list(units), observed, now)


def render_units(
    parent: Mapping, spec: WorkloadSpec, kind: WorkloadKind, units: list[str], observed: Mapping, now: str
) -> dict:
    """Render every unit; a unit that fails keeps its observed child and is named in status."""
    meta = parent["metadata"]
    desired: list[dict] = []
    states: dict[str, dict] = {}
    errors: dict[str, str] = {}
    owners: dict[str, str] = {}
    for unit in units:
        name = unit_child_name(kind, meta["name"], unit)
        seen = observed.get(name)
        try:
            if name in owners:
                raise SpecError(f"child name {name!r} is already used by unit {owners[name]!r}")
            owners[name] = unit
            child = render_unit(parent, spec, kind, unit)
        except SpecError as err:
            errors[unit] = str(err)
            child = kept_child(seen) if seen is not None and owners.get(name) == unit else None
        if child is not None:
            desired.append(child)
        states[unit] = _unit_state(kind, seen, errors.get(unit))
    desired.sort(key=_order)
    status = grid_status(states, synced_condition(errors), parent.get("status"), now)
    return {"status": status, "children": desired}


def render_unit(parent: Mapping, spec: WorkloadSpec, kind: WorkloadKind, unit: str) -> dict:
    meta = parent["metadata"]
    child = base_child(kind, meta, template_for(spec, unit), unit)
    return pin_to_unit(kind, child, meta, spec.sites.key, unit)


def _order(child: Mapping) -> tuple[str, str]:
    return (str(child.get("kind", "")), str(child["metadata"]["name"]))


def _unit_state(kind: WorkloadKind, seen: Mapping | None, error: str | None) -> dict:
    state = status_figures(kind, seen) if seen is not None else {}
    state["ready"] = is_ready(seen)
    if error:
        state["error"] = error
    return state


def _keep_everything(parent: Mapping, observed: Mapping, reason: str, message: str, now: str) -> dict:
    kept = sorted((kept_child(obj) for obj in observed.values()), key=_order)
    return {"status": invalid_spec_status(parent.get("status"), reason, message, now), "children": kept}


def _named(objects: list[dict]) -> list[dict]:
    """Observed objects that have a usable name (anything else cannot be matched or kept)."""
    return [o for o in objects if isinstance(o.get("metadata"), dict) and isinstance(o["metadata"].get("name"), str)]
