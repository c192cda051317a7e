"""Per route, which fields its hook reads of the request's large maps (see hooks.partial).

Routes not listed here are decoded in full. A route listed here must keep its hook to the declared
fields; tests/test_fast_decode.py compares its answers with those of a full decode.
"""

from __future__ import annotations

from hooks.partial import RequestReads
from hooks.units import NODE_FIELDS
from hooks.workload import DEPLOYMENT, OBSERVED_FIELDS, STATEFULSET, WorkloadKind
from hooks.workload_grid import NODES


def workload_sync_reads(kind: WorkloadKind) -> RequestReads:
    """What workload_grid.sync reads: the Nodes' names and labels, a few fields of each observed child."""
    return RequestReads(children={kind.child_type: OBSERVED_FIELDS}, related={NODES: NODE_FIELDS})


def route_reads() -> dict[str, RequestReads]:
    return {
        "/deploymentgrid/sync": workload_sync_reads(DEPLOYMENT),
        "/statefulsetgrid/sync": workload_sync_reads(STATEFULSET),
    }
