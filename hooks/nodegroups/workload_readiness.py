"""Which workload grids are not ready, or cannot scale, in which unit, read from the grids' ``status.states``.

A NodeGroup never looks at the workloads themselves (Deployments, StatefulSets, DaemonSets, CronJobs) or at
HorizontalPodAutoscalers: each grid already judges its children (its kind's ``ready``,
:class:`hooks.grids.workload.WorkloadKind`; :func:`hooks.grids.autoscaling.unit_state`) and publishes the
verdict per unit, so reading ``states[unit].ready`` and ``states[unit].autoscaling.canScale`` keeps one
definition of each.
Only workload grids count: a ServiceGrid's readiness is not per unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hooks import API_VERSION
from hooks.grids.grid_kinds import WORKLOAD_KINDS
from hooks.grids.workload import DEPLOYMENT, STATEFULSET, WorkloadKind
from hooks.kube.errors import SpecError
from hooks.kube.selectors import selector_test, validate_selector
from hooks.protocol import codec
from hooks.protocol.request import objects_of
from hooks.sites.site_spec import NODEUNITS_SOURCE

WORKLOAD_GRID_KINDS: tuple[WorkloadKind, ...] = WORKLOAD_KINDS
FIRST_GRID_KINDS: tuple[WorkloadKind, ...] = (DEPLOYMENT, STATEFULSET)
"""The kinds a NodeGroup has asked for since release 0.1.0: a request without their list was not built from
its rules, and the NodeGroup keeps everything. A kind added later may be missing from a request built from a
customize answer Metacontroller cached before the upgrade (it keeps them up to 20 minutes): none of its
grids can exist from before the upgrade, so its missing list counts as none."""


def grid_type_key(kind: WorkloadKind) -> str:
    """The key of this grid kind in a v2 request's ``related`` map."""
    return f"{kind.grid_kind}.{API_VERSION}"


def grid_resource(kind: WorkloadKind) -> str:
    """The grid kind's plural resource name, as a customize hook rule names it."""
    return f"{kind.grid_kind.lower()}s"


@dataclass(frozen=True)
class GridView:
    """The three things a NodeGroup needs from a grid."""

    ref: str  # namespace/Kind/name
    selector: dict | None  # the grid's validated spec.nodeSelector; None when it cannot be read
    states: Mapping
    reads_nodeunits: bool = False  # spec.siteSource is NodeUnits (hooks.nodegroups.tombstones)


@dataclass
class UnitWorkloads:
    """The grids expected in one unit and, sorted, those not ready there and those whose autoscaler there
    reports it cannot scale."""

    expected: int = 0
    not_ready: list[str] = field(default_factory=list)
    cannot_scale: list[str] = field(default_factory=list)


def grids_of_key(related: Mapping, key: str) -> list[GridView]:
    """Every workload grid in ``related`` whose ``spec.gridUniqKey`` is ``key``, sorted by ref.

    Metacontroller cannot select grids by a spec field, so the customize hook
    asks for all of them and the filtering happens here. Malformed entries are
    skipped: one odd grid must not hide every site's health.
    """
    views = []
    for kind in WORKLOAD_GRID_KINDS:
        for grid in objects_of(related, grid_type_key(kind)):
            view = _view(grid, kind, key)
            if view is not None:
                views.append(view)
    return sorted(views, key=lambda v: v.ref)


def _view(grid: Mapping, kind: WorkloadKind, key: str) -> GridView | None:
    spec, meta, status = grid.get("spec"), grid.get("metadata"), grid.get("status")
    if not isinstance(spec, Mapping) or spec.get("gridUniqKey") != key or not isinstance(meta, Mapping):
        return None
    name, namespace = meta.get("name"), meta.get("namespace")
    if not isinstance(name, str) or not isinstance(namespace, str):
        return None
    try:
        selector = validate_selector(spec.get("nodeSelector"), "spec.nodeSelector")
    except SpecError:
        selector = None
    states = status.get("states") if isinstance(status, Mapping) else None
    ref = f"{namespace}/{kind.grid_kind}/{name}"
    reads_nodeunits = spec.get("siteSource") == NODEUNITS_SOURCE
    return GridView(ref, selector, states if isinstance(states, Mapping) else {}, reads_nodeunits)


def units_reported_by_nodeunit_grids(grids: Iterable[GridView]) -> frozenset[str]:
    """Units that some grid with ``siteSource: NodeUnits`` still lists in its status (it still has a child there)."""
    return frozenset(unit for grid in grids if grid.reads_nodeunits for unit in grid.states if isinstance(unit, str))


def workloads_by_unit(grids: list[GridView], units: Mapping[str, list[Mapping]]) -> dict[str, UnitWorkloads]:
    """For each unit: how many grids are expected there and which of them are not ready.

    A grid is expected in a unit when its own ``nodeSelector`` admits one of
    the unit's nodes. There, a missing ``states`` entry (the grid has not synced
    since the unit appeared) counts as not ready: the site lacks that workload.
    A grid whose selector cannot be read is judged only where it reports.
    """
    out = {unit: UnitWorkloads() for unit in units}
    admitted: dict[bytes, frozenset[str]] = {}
    for grid in grids:
        for unit in _expected_units(grid, units, admitted):
            entry = out[unit]
            entry.expected += 1
            state = grid.states.get(unit)
            if not _state_ready(state):
                entry.not_ready.append(grid.ref)
            if _cannot_scale(state):
                entry.cannot_scale.append(grid.ref)
    return out


def _expected_units(grid: GridView, units: Mapping[str, list[Mapping]], admitted: dict) -> Iterable[str]:
    if grid.selector is None:
        return frozenset(u for u in grid.states if u in units)
    if not grid.selector:
        return units
    cache_key = codec.dumps(grid.selector)  # grids often share one selector: match the nodes once
    if cache_key not in admitted:
        test = selector_test(grid.selector)
        admitted[cache_key] = frozenset(
            unit for unit, nodes in units.items() if any(test(n["metadata"]["labels"]) for n in nodes)
        )
    return admitted[cache_key]


def _state_ready(state: object) -> bool:
    return isinstance(state, Mapping) and state.get("ready") is True


def _cannot_scale(state: object) -> bool:
    scaling = state.get("autoscaling") if isinstance(state, Mapping) else None
    return isinstance(scaling, Mapping) and scaling.get("canScale") is False
