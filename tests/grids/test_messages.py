"""Status messages stay short and say what is wrong: shared errors once, pasted objects by name."""

from __future__ import annotations

import pytest

from hooks.grids import service_grid, workload_grid
from hooks.grids.grid_status import synced_condition, unit_errors_message
from hooks.grids.workload import DEPLOYMENT, STATEFULSET
from tests.support.builders import NOW, deployment_spec, grid, node, site_nodes, sync_request


def synced(resp):
    return next(c for c in resp["status"]["conditions"] if c["type"] == "Synced")


def test_an_error_every_unit_shares_is_one_short_message_with_the_count():
    nodes = {f"n{i}": node(f"n{i}", {"site": f"s{i:04}"}) for i in range(1000)}
    parent = grid(overrides=[{"patch": [{"op": "remove", "path": "/spec/template/spec/volumes"}]}])
    resp = workload_grid.sync(sync_request(parent, nodes), DEPLOYMENT, NOW)
    cond = synced(resp)
    assert cond["reason"] == "UnitErrors" and len(cond["message"]) < 300
    assert cond["message"].startswith("all 1,000 units could not be rendered (an existing child is kept as it is): ")
    assert "s0001" not in cond["message"]
    assert len(resp["status"]["states"]) == 1000 and all(s.get("error") for s in resp["status"]["states"].values())


def test_distinct_errors_are_grouped_with_a_few_unit_names():
    errors = {f"u{i}": "bad image" for i in range(10)} | {"x": "missing pool entry"}
    message = unit_errors_message(errors, 20)
    assert message.startswith("11 of 20 units could not be rendered")
    assert "bad image (units u0, u1, u2 and 7 more); missing pool entry (unit x)" in message


def test_many_distinct_errors_are_cut_after_five():
    message = unit_errors_message({f"u{i}": f"cause {i}" for i in range(8)}, 8)
    assert message.count("cause") == 5 and message.endswith("; and 3 other errors")


def test_no_error_is_synced():
    assert synced_condition({}, 3)["status"] == "True"


@pytest.mark.parametrize(
    ("kind", "pasted", "expected"),
    [
        (DEPLOYMENT, "Deployment", "spec.template must be a Deployment spec, not a Deployment"),
        (STATEFULSET, "StatefulSet", "spec.template must be a StatefulSet spec, not a StatefulSet"),
        (DEPLOYMENT, None, "spec.template must be a Deployment spec, not a whole object"),
    ],
)
def test_a_whole_workload_under_template_is_named_and_keeps_children(kind, pasted, expected):
    template = {"apiVersion": "apps/v1", "metadata": {"name": "web"}, "spec": deployment_spec()}
    if pasted:
        template["kind"] = pasted
    parent = grid(kind.grid_kind, template=template)
    resp = workload_grid.sync(sync_request(parent, site_nodes(a=1), child_type=kind.child_type), kind, NOW)
    cond = synced(resp)
    assert cond["reason"] == "InvalidSpec" and cond["message"].startswith(expected)


def test_a_pool_entry_holding_a_whole_deployment_is_named():
    pool = {"big": {"apiVersion": "apps/v1", "kind": "Deployment", "spec": deployment_spec()}}
    resp = workload_grid.sync(sync_request(grid(templatePool=pool), site_nodes(a=1)), DEPLOYMENT, NOW)
    assert "spec.templatePool[big] must be a Deployment spec, not a Deployment" in synced(resp)["message"]


def test_a_whole_service_under_template_is_named():
    template = {"apiVersion": "v1", "kind": "Service", "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    parent = grid("ServiceGrid", template=template)
    resp = service_grid.sync(sync_request(parent, site_nodes(a=1), child_type="Service.v1"), NOW)
    assert synced(resp)["message"].startswith("spec.template must be a Service spec, not a Service")


def test_a_missing_key_says_it_is_required():
    parent = grid()
    del parent["spec"]["gridUniqKey"]
    resp = workload_grid.sync(sync_request(parent, site_nodes(a=1)), DEPLOYMENT, NOW)
    assert synced(resp)["message"].startswith("spec.gridUniqKey is required")
