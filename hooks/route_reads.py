"""Per route, which fields its hook reads of the request's large maps (see hooks.partial).

Routes not listed here are decoded in full. A route listed here must keep its hook to the declared
fields; tests/test_fast_decode.py compares its answers with those of a full decode.
"""

from __future__ import annotations

from hooks.grace import GRACE_FIELDS
from hooks.nodeunit import NODEUNIT_TYPE
from hooks.partial import ANY, RequestReads, merge_shapes
from hooks.units import NODE_FIELDS
from hooks.workload import DEPLOYMENT, OBSERVED_FIELDS, STATEFULSET, WorkloadKind
from hooks.workload_grid import NODES


def workload_sync_reads(kind: WorkloadKind) -> RequestReads:
    """What workload_grid.sync reads: Node names and labels (or whole NodeUnits, which are small), and of
    each observed child its status figures (hooks.workload) and its unit label and grace mark (hooks.grace)."""
    observed = merge_shapes(OBSERVED_FIELDS, GRACE_FIELDS)
    return RequestReads(children={kind.child_type: observed}, related={NODES: NODE_FIELDS, NODEUNIT_TYPE: ANY})


def route_reads() -> dict[str, RequestReads]:
    return {
        "/deploymentgrid/sync": workload_sync_reads(DEPLOYMENT),
        "/statefulsetgrid/sync": workload_sync_reads(STATEFULSET),
    }
