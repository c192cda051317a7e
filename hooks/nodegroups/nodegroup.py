"""Customize and sync hooks of NodeGroup: every site of one label key, and what is not ready there.

A NodeGroup is a cluster-scoped CompositeController parent whose children are
the NodeUnits of its key, one per site (:mod:`hooks.sites.nodeunit`). Its status is
computed from the related Nodes of its key and from the workload grids of
every namespace that use the same key. The site grouping is
:func:`hooks.sites.units.group_by_unit`, the same the grids use, so a NodeGroup
shows, and its NodeUnits hold, exactly the units its grids deploy to.
"""

from __future__ import annotations

from collections.abc import Mapping

from hooks import API_VERSION
from hooks.grids.children import kept_children
from hooks.grids.grid_status import invalid_spec_status
from hooks.kube.errors import SpecError
from hooks.kube.names import NameOf
from hooks.kube.objects import mapping
from hooks.nodegroups.nodegroup_status import nodegroup_status, unit_entry
from hooks.nodegroups.tombstones import tombstone_seconds, tombstones
from hooks.nodegroups.workload_readiness import (
    FIRST_GRID_KINDS,
    WORKLOAD_GRID_KINDS,
    grid_resource,
    grid_type_key,
    grids_of_key,
    units_reported_by_nodeunit_grids,
    workloads_by_unit,
)
from hooks.protocol.request import objects_of, parent_of, sync_parts
from hooks.sites.discovery import node_rule
from hooks.sites.nodeunit import NODEUNIT_TYPE, nodeunit_children, nodeunit_names, unit_of_nodeunit
from hooks.sites.readiness import UNKNOWN, Readiness, kept_readiness, nodeunit_readiness, unit_readiness
from hooks.sites.site_spec import ANY_KEY, AllowedKeys, parse_sites
from hooks.sites.units import NODES, group_by_unit, node_name


def customize(request: object, allowed: AllowedKeys = ANY_KEY) -> dict:
    """Ask for the Nodes of the key and for every workload grid in every namespace.

    Grids cannot be selected by ``spec.gridUniqKey`` (a label selector sees
    only labels), so all of them are asked for and :func:`sync` filters. For a
    cluster-scoped parent, a rule with a label selector and no namespace lists
    all namespaces. Depends only on the spec; an invalid spec, or a key
    ``allowed`` refuses, asks for nothing.
    """
    parent = parent_of(request)
    try:
        sites = parse_sites(parent.get("spec"))
        allowed.check(sites.key)
    except SpecError:
        return {"relatedResources": []}
    grids = [
        {"apiVersion": API_VERSION, "resource": grid_resource(k), "labelSelector": {}} for k in WORKLOAD_GRID_KINDS
    ]
    return {"relatedResources": [node_rule(sites), *grids]}


def sync(request: object, now: str, allowed: AllowedKeys = ANY_KEY) -> dict:
    """Status, one NodeUnit per unit, and a tombstone NodeUnit per site that lost its last node.

    A spec or request that cannot be read, or a key ``allowed`` refuses, keeps the previous status with
    ``Synced=False`` and every observed NodeUnit as it is: grids reading
    NodeUnits must not lose their sites because of a NodeGroup typo. Tombstones
    (:mod:`hooks.nodegroups.tombstones`) tell grids that a site is really gone;
    ``resyncAfterSeconds`` is set while one exists, to drop it when it expires.
    """
    parent, children, related = sync_parts(request)
    previous = parent.get("status")
    created = parent["metadata"].get("creationTimestamp")
    observed = objects_of(children, NODEUNIT_TYPE)
    try:
        sites = parse_sites(parent.get("spec"))
        allowed.check(sites.key)
        lifetime = tombstone_seconds(parent["spec"])
    except SpecError as err:
        return _keep_all(previous, observed, err.reason, str(err), now, created)
    missing = _missing_related(related)
    if missing is not None:
        return _keep_all(previous, observed, *missing, now, created)
    units = group_by_unit(objects_of(related, NODES), sites.key, sites.node_selector)
    grids = grids_of_key(related, sites.key)
    workloads = workloads_by_unit(grids, units)
    entries = {unit: unit_entry(nodes, workloads[unit]) for unit, nodes in units.items()}
    members = {unit: [node_name(n) for n in nodes] for unit, nodes in units.items()}
    name_of = nodeunit_names(parent["metadata"]["name"], sites.key, observed)
    readiness = site_readiness(name_of, sites.key, units, observed)
    nodeunits, name_errors = nodeunit_children(parent["metadata"], sites.key, members, name_of, readiness)
    # Only a NodeGroup that sees every Node of the key knows a reported site has no node: with a nodeSelector,
    # a site outside it may be live under another NodeGroup of the key, and a tombstone would remove it.
    reported = units_reported_by_nodeunit_grids(grids) if not sites.node_selector else ()
    gone = tombstones(parent["metadata"], sites.key, observed, units, lifetime, now, name_of, reported)
    children = list(nodeunits)
    taken = {c["metadata"]["name"] for c in nodeunits}
    for stone in gone.children:  # a live site's NodeUnit wins a (hash) name clash with a tombstone
        if stone["metadata"]["name"] not in taken:
            taken.add(stone["metadata"]["name"])
            children.append(stone)
    children.sort(key=lambda c: c["metadata"]["name"])
    response = {"status": nodegroup_status(entries, previous, now, name_errors, created), "children": children}
    if gone.resync_after is not None:
        response["resyncAfterSeconds"] = gone.resync_after
    return response


def site_readiness(
    name_of: NameOf, key: str, units: Mapping[str, list[Mapping]], observed: list[dict]
) -> dict[str, Readiness]:
    """Each unit's readiness for its NodeUnit: from its Nodes, keeping the time its NodeUnit recorded while
    the unit stays in the same state (hooks.sites.readiness.kept_readiness), so that the NodeUnit, and the
    grids reading it, change only when the whole site goes dark or comes back."""
    recorded = {}
    for obj in observed:
        unit = unit_of_nodeunit(obj, key)
        if unit is not None and mapping(obj, "metadata").get("name") == name_of(unit):
            recorded[unit] = nodeunit_readiness(obj)
    return {unit: kept_readiness(unit_readiness(nodes), recorded.get(unit, UNKNOWN)) for unit, nodes in units.items()}


def _missing_related(related: Mapping) -> tuple[str, str] | None:
    """(reason, message) when a list the customize hook asked for is absent, else None.

    Metacontroller sends every requested type, even when empty; an absent one
    means the request does not answer our rules, and an empty fleet must not
    be reported from it.
    """
    if NODES not in related:
        return "NodesNotObserved", "the request carried no Node list"
    absent = [grid_type_key(k) for k in FIRST_GRID_KINDS if grid_type_key(k) not in related]
    if absent:
        return "GridsNotObserved", f"the request carried no {' or '.join(absent)} list"
    return None


def _keep_all(
    previous: object, observed: list[dict], reason: str, message: str, now: str, created: object = None
) -> dict:
    status = invalid_spec_status(previous, reason, message, now, created)
    return {"status": status, "children": kept_children(observed)}
