"""Per route, which fields its hook reads of the request's large maps (see hooks.protocol.partial).

Routes not listed here are decoded in full. A route listed here must keep its hook to the declared
fields; tests/server/test_fast_decode.py compares its answers with those of a full decode.
"""

from __future__ import annotations

from hooks.grids.autoscaling import HPA_FIELDS, HPA_TYPE
from hooks.grids.children import RECORD_FIELDS
from hooks.grids.config_refs import CONFIGMAP_FIELDS, CONFIGMAPGRID_FIELDS, CONFIGMAPGRID_TYPE
from hooks.grids.configmap_grid import CONFIGMAP_TYPE
from hooks.grids.grace import GRACE_FIELDS
from hooks.grids.grid_kinds import WORKLOAD_KINDS, sync_route
from hooks.grids.history import CR_TYPE
from hooks.grids.revision import REVISION_FIELDS
from hooks.grids.rollback import ROLLED_BACK_FIELDS
from hooks.grids.rollout import SINCE_FIELDS
from hooks.grids.service_grid import SERVICE_TYPE
from hooks.grids.unlisted import SUMMARISED_FIELDS
from hooks.grids.workload import OBSERVED_FIELDS, WorkloadKind
from hooks.nodegroups.workload_readiness import WORKLOAD_GRID_KINDS, grid_type_key
from hooks.protocol.partial import ANY, TEXT, RequestReads, merge_shapes
from hooks.sites.node_summary import NODESUMMARY_TYPE
from hooks.sites.nodeunit import NODEUNIT_TYPE
from hooks.sites.units import NODE_FIELDS, NODE_HEALTH_FIELDS, NODES

SITE_FIELDS = {NODES: NODE_FIELDS, NODESUMMARY_TYPE: ANY, NODEUNIT_TYPE: ANY}
"""What a grid that does not read readiness reads of its sites: Node names and labels; summaries and NodeUnits
whole (small)."""


def workload_sync_reads(kind: WorkloadKind) -> RequestReads:
    """What workload_grid.sync reads: Node names, labels and Ready condition (a rollout defers offline
    sites, hooks.sites.readiness; decoded only for the Nodes it reads), or whole NodeUnits, which are small;
    and of each observed child its status figures (hooks.grids.workload), its unit label and grace mark
    (hooks.grids.grace), its revision stamp (hooks.grids.revision), when it started moving to it
    (hooks.grids.rollout), whether it was rolled back (hooks.grids.rollback) and Metacontroller's record of
    it with what it is compared with (hooks.grids.children: a child kept as it is is sent back from these,
    without a full decode); of each observed HPA its name and status (hooks.grids.autoscaling; kinds with replicas).
    The grid's ControllerRevisions (hooks.grids.history) are few and small: whole. Of the ConfigMapGrids the
    spec names, their key, and of their ConfigMaps the unit, the key and the data (hooks.grids.config_refs)."""
    observed = merge_shapes(
        OBSERVED_FIELDS,
        GRACE_FIELDS,
        SUMMARISED_FIELDS,
        REVISION_FIELDS,
        SINCE_FIELDS,
        ROLLED_BACK_FIELDS,
        RECORD_FIELDS,
    )
    scaling = {HPA_TYPE: HPA_FIELDS} if kind.overrides.replicas else {}
    children = {kind.child_type: observed, **scaling, CR_TYPE: ANY}
    related = {
        NODES: NODE_HEALTH_FIELDS,
        NODESUMMARY_TYPE: ANY,
        NODEUNIT_TYPE: ANY,
        CONFIGMAPGRID_TYPE: CONFIGMAPGRID_FIELDS,
        CONFIGMAP_TYPE: CONFIGMAP_FIELDS,
    }
    return RequestReads(children=children, related=related)


def service_sync_reads() -> RequestReads:
    """What service_grid.sync reads: the sites as above, and of each observed Service its name (it is ready
    when it exists), unit label, grace mark and revision stamp."""
    observed = merge_shapes({"metadata": {"name": TEXT}}, GRACE_FIELDS, SUMMARISED_FIELDS, REVISION_FIELDS)
    return RequestReads(children={SERVICE_TYPE: observed}, related=SITE_FIELDS)


def configmap_sync_reads() -> RequestReads:
    """What configmap_grid.sync reads: the sites as above, and of each observed ConfigMap its name (it is
    ready when it exists), unit label, grace mark and revision stamp."""
    observed = merge_shapes({"metadata": {"name": TEXT}}, GRACE_FIELDS, SUMMARISED_FIELDS, REVISION_FIELDS)
    return RequestReads(children={CONFIGMAP_TYPE: observed}, related=SITE_FIELDS)


def nodegroup_sync_reads() -> RequestReads:
    """What nodegroup.sync reads: Node names, labels and Ready condition (with its transition time, for the
    NodeUnits' readiness); grids and NodeUnits whole (few)."""
    grids = {grid_type_key(kind): ANY for kind in WORKLOAD_GRID_KINDS}
    return RequestReads(children={NODEUNIT_TYPE: ANY}, related={NODES: NODE_HEALTH_FIELDS, **grids})


def route_reads() -> dict[str, RequestReads]:
    return {
        **{sync_route(kind.grid_kind): workload_sync_reads(kind) for kind in WORKLOAD_KINDS},
        sync_route("ConfigMapGrid"): configmap_sync_reads(),
        sync_route("ServiceGrid"): service_sync_reads(),
        "/nodegroup/sync": nodegroup_sync_reads(),
    }
