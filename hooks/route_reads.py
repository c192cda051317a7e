"""Per route, which fields its hook reads of the request's large maps (see hooks.partial).

Routes not listed here are decoded in full. A route listed here must keep its hook to the declared
fields; tests/test_fast_decode.py compares its answers with those of a full decode.
"""

from __future__ import annotations

from hooks.partial import RequestReads
from hooks.workload import DEPLOYMENT, STATEFULSET
from hooks.workload_grid import sync_reads


def route_reads() -> dict[str, RequestReads]:
    return {
        "/deploymentgrid/sync": sync_reads(DEPLOYMENT),
        "/statefulsetgrid/sync": sync_reads(STATEFULSET),
    }
