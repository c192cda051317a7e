"""The grid kinds: kind -> its pure sync and customize hooks and child types.

The server's routes for grids and the offline renderer are both built from
this table, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hooks import GROUP
from hooks.grids import service_grid, workload_grid
from hooks.grids.autoscaling import HPA_TYPE
from hooks.grids.history import CR_TYPE
from hooks.grids.workload import DEPLOYMENT, STATEFULSET
from hooks.sites.site_spec import ANY_KEY, AllowedKeys

__all__ = ["GRID_KINDS", "GROUP", "GridKind", "customize_route", "sync_route"]


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


# Lambdas look the hook functions up at call time, so wrapping a module's ``sync`` (tests do) takes effect.
GRID_KINDS: dict[str, GridKind] = {
    "DeploymentGrid": GridKind(
        lambda req, now, allowed=ANY_KEY: workload_grid.sync(req, DEPLOYMENT, now, allowed),
        lambda req, allowed=ANY_KEY: workload_grid.customize(req, DEPLOYMENT, allowed),
        (DEPLOYMENT.child_type, HPA_TYPE, CR_TYPE),
    ),
    "StatefulSetGrid": GridKind(
        lambda req, now, allowed=ANY_KEY: workload_grid.sync(req, STATEFULSET, now, allowed),
        lambda req, allowed=ANY_KEY: workload_grid.customize(req, STATEFULSET, allowed),
        (STATEFULSET.child_type, HPA_TYPE, CR_TYPE),
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
