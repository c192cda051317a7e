"""The grid kinds: kind -> its pure sync and customize hooks and child types.

The server's routes for grids and the offline renderer are both built from
this table, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hooks import GROUP
from hooks.grids import service_grid, workload_grid
from hooks.grids.autoscaling import HPA_TYPE
from hooks.grids.workload import DEPLOYMENT, STATEFULSET

__all__ = ["GRID_KINDS", "GROUP", "GridKind", "customize_route", "sync_route"]

Sync = Callable[[object, str], dict]


@dataclass(frozen=True)
class GridKind:
    """How to sync one grid kind: its pure sync hook and the child types Metacontroller declares for it."""

    sync: Sync
    customize: Callable[[object], dict]
    child_types: tuple[str, ...]


# Lambdas look the hook functions up at call time, so wrapping a module's ``sync`` (tests do) takes effect.
GRID_KINDS: dict[str, GridKind] = {
    "DeploymentGrid": GridKind(
        lambda req, now: workload_grid.sync(req, DEPLOYMENT, now),
        lambda req: workload_grid.customize(req, DEPLOYMENT),
        (DEPLOYMENT.child_type, HPA_TYPE),
    ),
    "StatefulSetGrid": GridKind(
        lambda req, now: workload_grid.sync(req, STATEFULSET, now),
        lambda req: workload_grid.customize(req, STATEFULSET),
        (STATEFULSET.child_type, HPA_TYPE),
    ),
    "ServiceGrid": GridKind(
        lambda req, now: service_grid.sync(req, now),
        lambda req: service_grid.customize(req),
        (service_grid.SERVICE_TYPE,),
    ),
}


def sync_route(kind: str) -> str:
    """The server route of a kind's sync hook (``DeploymentGrid`` -> ``/deploymentgrid/sync``)."""
    return f"/{kind.lower()}/sync"


def customize_route(kind: str) -> str:
    return f"/{kind.lower()}/customize"
