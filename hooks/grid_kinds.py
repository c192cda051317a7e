"""The grid kinds the offline renderer knows: kind -> the same pure sync function the server routes to.

One entry per grid kind. A new kind (ServiceGrid, ...) is one more line here;
a test checks that every entry answers exactly like the server's sync route
for that kind, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hooks import GROUP, workload_grid
from hooks.workload import DEPLOYMENT, STATEFULSET

__all__ = ["GRID_KINDS", "GROUP", "GridKind", "sync_route"]

Sync = Callable[[object, str], dict]


@dataclass(frozen=True)
class GridKind:
    """How to sync one grid kind: its pure sync hook and the child types Metacontroller declares for it."""

    sync: Sync
    child_types: tuple[str, ...]


GRID_KINDS: dict[str, GridKind] = {
    "DeploymentGrid": GridKind(lambda req, now: workload_grid.sync(req, DEPLOYMENT, now), (DEPLOYMENT.child_type,)),
    "StatefulSetGrid": GridKind(lambda req, now: workload_grid.sync(req, STATEFULSET, now), (STATEFULSET.child_type,)),
}


def sync_route(kind: str) -> str:
    """The server route of a kind's sync hook (``DeploymentGrid`` -> ``/deploymentgrid/sync``)."""
    return f"/{kind.lower()}/sync"
