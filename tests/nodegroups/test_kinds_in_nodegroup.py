"""The NodeGroup's per-site view counts every workload grid kind, each judged by its own grid."""

from __future__ import annotations

import pytest

from hooks.grids.grid_kinds import WORKLOAD_KINDS
from hooks.nodegroups import nodegroup
from tests.support.builders import NOW
from tests.support.nodegroup_builders import fleet, ng_request, node_group, workload_grid


@pytest.mark.parametrize("kind", [k.grid_kind for k in WORKLOAD_KINDS])
def test_a_site_lists_a_not_ready_grid_of_every_workload_kind(kind):
    grids = [workload_grid("ops", "g", ready={"a": True, "b": False}, kind=kind)]
    status = nodegroup.sync(ng_request(node_group(), fleet(a=1, b=1), grids), NOW)["status"]
    assert status["nodeUnits"]["a"]["readyWorkloads"] == 1 and status["nodeUnits"]["a"]["ready"] is True
    assert status["nodeUnits"]["b"]["notReadyWorkloads"] == [f"ops/{kind}/g"]


@pytest.mark.parametrize("kind", [k.grid_kind for k in WORKLOAD_KINDS])
def test_a_request_without_a_kinds_grid_list_keeps_the_nodeunits(kind):
    """After an upgrade Metacontroller may use the old customize answer (cached up to 20 minutes): no list of
    the new kind is not "no grids of that kind"."""
    request = ng_request(node_group(), fleet(a=1))
    del request["related"][f"{kind}.superedge.io/v1"]
    synced = {c["type"]: c for c in nodegroup.sync(request, NOW)["status"]["conditions"]}["Synced"]
    assert synced["reason"] == "GridsNotObserved" and kind in synced["message"]
