"""Customize and sync hooks of NodeGroup: every site of one label key, and what is not ready there.

A NodeGroup is a cluster-scoped CompositeController parent with no child
types yet (status only). Its status is computed from the related Nodes of its
key and from the workload grids of every namespace that use the same key.
The site grouping is :func:`hooks.units.group_by_unit`, the same the grids use,
so a NodeGroup shows exactly the units its grids deploy to.
"""

from __future__ import annotations

from collections.abc import Mapping

from hooks import API_VERSION
from hooks.errors import SpecError
from hooks.grid_spec import parse_sites
from hooks.grid_status import invalid_spec_status
from hooks.nodegroup_status import nodegroup_status, unit_entry
from hooks.request import objects_of, parent_of, sync_parts
from hooks.selectors import with_key_exists
from hooks.units import group_by_unit
from hooks.workload_readiness import GRID_KINDS, grid_resource, grid_type_key, grids_of_key, workloads_by_unit

NODES = "Node.v1"


def customize(request: object) -> dict:
    """Ask for the Nodes of the key and for every workload grid in every namespace.

    Grids cannot be selected by ``spec.gridUniqKey`` (a label selector sees
    only labels), so all of them are asked for and :func:`sync` filters. For a
    cluster-scoped parent, a rule with a label selector and no namespace lists
    all namespaces. Depends only on the spec; an invalid spec asks for nothing.
    """
    parent = parent_of(request)
    try:
        sites = parse_sites(parent.get("spec"))
    except SpecError:
        return {"relatedResources": []}
    nodes = {"apiVersion": "v1", "resource": "nodes", "labelSelector": with_key_exists(sites.node_selector, sites.key)}
    grids = [{"apiVersion": API_VERSION, "resource": grid_resource(k), "labelSelector": {}} for k in GRID_KINDS]
    return {"relatedResources": [nodes, *grids]}


def sync(request: object, now: str) -> dict:
    """Status only. A spec or request that cannot be read keeps the previous status with ``Synced=False``."""
    parent, _children, related = sync_parts(request)
    previous = parent.get("status")
    try:
        sites = parse_sites(parent.get("spec"))
    except SpecError as err:
        return _keep_status(previous, "InvalidSpec", str(err), now)
    missing = _missing_related(related)
    if missing is not None:
        return _keep_status(previous, *missing, now)
    units = group_by_unit(objects_of(related, NODES), sites.key, sites.node_selector)
    workloads = workloads_by_unit(grids_of_key(related, sites.key), units)
    entries = {unit: unit_entry(nodes, workloads[unit]) for unit, nodes in units.items()}
    # No child types are declared yet, so "children" is always empty here.
    return {"status": nodegroup_status(entries, previous, now), "children": []}


def _missing_related(related: Mapping) -> tuple[str, str] | None:
    """(reason, message) when a list the customize hook asked for is absent, else None.

    Metacontroller sends every requested type, even when empty; an absent one
    means the request does not answer our rules, and an empty fleet must not
    be reported from it.
    """
    if NODES not in related:
        return "NodesNotObserved", "the request carried no Node list"
    absent = [grid_type_key(k) for k in GRID_KINDS if grid_type_key(k) not in related]
    if absent:
        return "GridsNotObserved", f"the request carried no {' or '.join(absent)} list"
    return None


def _keep_status(previous: object, reason: str, message: str, now: str) -> dict:
    return {"status": invalid_spec_status(previous, reason, message, now), "children": []}
