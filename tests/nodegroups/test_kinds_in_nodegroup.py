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


@pytest.mark.parametrize("kind", ["DeploymentGrid", "StatefulSetGrid"])
def test_a_request_without_a_first_kinds_grid_list_keeps_the_nodeunits(kind):
    request = ng_request(node_group(), fleet(a=1))
    del request["related"][f"{kind}.superedge.io/v1"]
    synced = {c["type"]: c for c in nodegroup.sync(request, NOW)["status"]["conditions"]}["Synced"]
    assert synced["reason"] == "GridsNotObserved" and kind in synced["message"]


@pytest.mark.parametrize("kind", ["DaemonSetGrid", "CronJobGrid"])
def test_a_request_without_a_newer_kinds_list_counts_none_of_it(kind):
    """Right after the upgrade that adds a kind, Metacontroller may use the NodeGroup's customize answer from
    before it (cached up to 20 minutes): no grid of the new kind can exist from before, so the NodeGroup goes
    on (its NodeUnits keep being updated) instead of standing still."""
    grids = [workload_grid("ops", "web", ready={"a": False})]
    request = ng_request(node_group(), fleet(a=1), grids)
    del request["related"][f"{kind}.superedge.io/v1"]
    status = nodegroup.sync(request, NOW)["status"]
    synced = {c["type"]: c for c in status["conditions"]}["Synced"]
    assert synced["status"] == "True"
    assert status["nodeUnits"]["a"]["notReadyWorkloads"] == ["ops/DeploymentGrid/web"]
