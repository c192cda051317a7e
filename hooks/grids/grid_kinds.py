"""The grid kinds: kind -> its pure sync and customize hooks and child types.

The server's routes for grids and the offline renderer are both built from
this table, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hooks import GROUP
from hooks.grids import configmap_grid, service_grid, workload_grid
from hooks.grids.autoscaling import HPA_TYPE
from hooks.grids.cronjob import CRONJOB
from hooks.grids.daemonset import DAEMONSET
from hooks.grids.history import CR_TYPE
from hooks.grids.workload import DEPLOYMENT, STATEFULSET, WorkloadKind
from hooks.sites.site_spec import ANY_KEY, AllowedKeys

__all__ = ["GRID_KINDS", "GROUP", "WORKLOAD_KINDS", "GridKind", "customize_route", "sync_route"]


class Sync(Protocol):
    """(request, now, the gridUniqKeys the installation allows; default any) -> response."""

    def __call__(self, request: object, now: str, allowed: AllowedKeys = ANY_KEY) -> dict: ...


class Customize(Protocol):
    def __call__(self, request: object, allowed: AllowedKeys = ANY_KEY) -> dict: ...


@dataclass(frozen=True)
class GridKind:
    """How to sync one grid kind: its pure sync hook and the child types Metacontroller declares for it."""

    sync: Sync
    customize: Customize
    child_types: tuple[str, ...]


WORKLOAD_KINDS: tuple[WorkloadKind, ...] = (DEPLOYMENT, STATEFULSET, DAEMONSET, CRONJOB)
"""Every workload grid kind: one engine (hooks.grids.workload_grid), one WorkloadKind each."""


def workload_grid_kind(kind: WorkloadKind) -> GridKind:
    """The hooks of one workload kind, and its child types: the workloads, an HPA per autoscaled unit (kinds
    with replicas) and the grid's revision history. Lambdas look the hook functions up at call time, so
    wrapping ``workload_grid.sync`` (tests do) takes effect."""
    scaling = (HPA_TYPE,) if kind.overrides.replicas else ()
    return GridKind(
        lambda req, now, allowed=ANY_KEY: workload_grid.sync(req, kind, now, allowed),
        lambda req, allowed=ANY_KEY: workload_grid.customize(req, kind, allowed),
        (kind.child_type, *scaling, CR_TYPE),
    )


GRID_KINDS: dict[str, GridKind] = {
    **{kind.grid_kind: workload_grid_kind(kind) for kind in WORKLOAD_KINDS},
    "ConfigMapGrid": GridKind(
        lambda req, now, allowed=ANY_KEY: configmap_grid.sync(req, now, allowed),
        lambda req, allowed=ANY_KEY: configmap_grid.customize(req, allowed),
        (configmap_grid.CONFIGMAP_TYPE,),
    ),
    "ServiceGrid": GridKind(
        lambda req, now, allowed=ANY_KEY: service_grid.sync(req, now, allowed),
        lambda req, allowed=ANY_KEY: service_grid.customize(req, allowed),
        (service_grid.SERVICE_TYPE,),
    ),
}


def sync_route(kind: str) -> str:
    """The server route of a kind's sync hook (``DeploymentGrid`` -> ``/deploymentgrid/sync``)."""
    return f"/{kind.lower()}/sync"


def customize_route(kind: str) -> str:
    return f"/{kind.lower()}/customize"
