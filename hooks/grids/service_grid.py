"""Sync and customize hooks of ServiceGrid: the shared Service plus one Service per unit."""

from __future__ import annotations

from collections.abc import Mapping

from hooks.grids import grid_sync
from hooks.grids.applied import Pending, track, with_applied, with_resync
from hooks.grids.children import child_order
from hooks.grids.grid_status import grid_status, synced_condition
from hooks.grids.limits import LimitExceeded, check_child_size, with_limit_reason
from hooks.grids.revision import landed, observed_revision, revision_of_stamped, stamped
from hooks.grids.service import (
    SERVICE_TYPE,
    ServiceGridSpec,
    parse_service_spec,
    per_unit_condition,
    shared_name,
    shared_service,
    unit_service,
    unit_service_names,
)
from hooks.sites.site_spec import ANY_KEY, AllowedKeys

SHARED_ENTRY = "(the shared Service)"
"""How the shared Service is named among units in ``Synced`` and in ``status.applying`` /
``status.notAppliedSince`` (no unit value can look like this: a label value has no spaces or brackets)."""


def customize(request: object, allowed: AllowedKeys = ANY_KEY) -> dict:
    """The grid's sites: Nodes or NodeUnits of its key (see :func:`hooks.grids.grid_sync.customize`)."""
    return grid_sync.customize(request, parse_service_spec, allowed)


def sync(request: object, now: str, allowed: AllowedKeys = ANY_KEY) -> dict:
    """The shared Service always; per-unit Services when wanted and derivable; observed ones kept on errors."""
    return grid_sync.sync(request, SERVICE_TYPE, parse_service_spec, render_services, now, unit_service_names, allowed)


def render_services(
    parent: Mapping,
    spec: ServiceGridSpec,
    units: grid_sync.UnitSet,
    observed: Mapping,
    now: str,
) -> dict:
    """Every unit is ready once the Services it relies on exist: the shared one and, if rendered, its own.
    An unlisted unit keeps its observed Service as it is (see :mod:`hooks.grids.unlisted`); a Service sent
    and not observed (the shared one as SHARED_ENTRY) is tracked by hooks.grids.applied."""
    meta = parent["metadata"]
    shared = shared_service(meta, spec)
    try:
        check_child_size(shared, f"the shared Service {shared['metadata']['name']}")
    except LimitExceeded as err:  # every unit's Service is about as large: nothing of the grid can be stored
        return grid_sync.keep_everything(parent, observed, err.reason, str(err), now)
    shared = stamped(shared)
    shared_observed = observed.get(shared["metadata"]["name"])
    shared_seen = shared_observed is not None
    per_unit = per_unit_condition(spec)
    if per_unit["status"] == "True":
        rendered = grid_sync.render_per_unit(
            units.all,
            observed,
            grid_sync.UnitChildren(
                name=units.name_of,
                render=lambda unit: unit_service(meta, spec, unit, units.name_of(unit)),
                state=lambda seen: {"ready": shared_seen and seen is not None},
            ),
            reserved={shared_name(meta["name"]): "the shared Service"},
            unlisted=units.unlisted,
        )
    else:
        rendered = grid_sync.Rendered([], {unit: {"ready": shared_seen} for unit in units.all}, {})
    desired = sorted([shared, *rendered.desired], key=child_order)
    pending = dict(rendered.pending)
    if not landed(shared, shared_observed):
        pending[SHARED_ENTRY] = Pending(revision_of_stamped(shared), observed_revision(shared_observed))
    applied = track(pending, parent.get("status"), now)
    synced = synced_condition(
        rendered.errors, len(rendered.states), applied.overdue, rendered.unlisted, units.found.source
    )
    synced = with_limit_reason(synced, rendered.reasons)
    status = grid_status(rendered.states, synced, parent.get("status"), now, [per_unit], meta.get("creationTimestamp"))
    return with_resync({"status": with_applied(status, applied), "children": desired}, applied.resync_after)
