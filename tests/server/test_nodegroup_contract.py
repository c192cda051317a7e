"""Contract tests of the NodeGroup routes: the real Flask app over HTTP with v2-shaped requests."""

import pytest

from tests.support.builders import post, same_answer_in_any_order
from tests.support.nodegroup_builders import fleet, ng_request, node_group, workload_grid


def several_namespaces():
    grids = [
        workload_grid("shop", "web", {"a": True, "b": True}),
        workload_grid("video", "transcode", {"a": True}),
        workload_grid("db", "pg", {"a": True, "b": False}, kind="StatefulSetGrid"),
    ]
    return ng_request(node_group(), fleet(down=("a-node-1",), a=2, b=1), grids)


def test_sync_answers_status_and_nodeunits(client):
    resp = post(client, "/nodegroup/sync", several_namespaces())
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"status", "children"}
    assert [(c["kind"], c["metadata"]["name"]) for c in body["children"]] == [
        ("NodeUnit", "sites-a"),
        ("NodeUnit", "sites-b"),
    ]
    assert all("namespace" not in c["metadata"] for c in body["children"])  # cluster-scoped children
    status = body["status"]
    assert set(status) == {"units", "readyUnits", "nodeUnits", "conditions"}
    assert status["units"] == 2 and status["readyUnits"] == 1
    assert status["nodeUnits"]["a"]["readyNodes"] == 1 and status["nodeUnits"]["a"]["notReadyNodes"] == 1
    assert status["nodeUnits"]["b"]["notReadyWorkloads"] == ["db/StatefulSetGrid/pg", "video/DeploymentGrid/transcode"]
    assert [c["type"] for c in status["conditions"]] == ["AllUnitsReady", "Synced"]


def test_customize_answers_related_resources_only(client):
    body = post(client, "/nodegroup/customize", {"controller": {}, "parent": node_group()}).get_json()
    assert set(body) == {"relatedResources"}
    assert [r["resource"] for r in body["relatedResources"]] == [
        "nodes",
        "deploymentgrids",
        "statefulsetgrids",
        "daemonsetgrids",
        "cronjobgrids",
    ]


def test_the_order_of_a_requests_maps_does_not_change_the_answer(client):
    grids = [
        workload_grid(ns, name, {"a": True, "b": False}) for ns, name in [("shop", "web"), ("video", "x"), ("db", "y")]
    ]
    same_answer_in_any_order(client, "/nodegroup/sync", ng_request(node_group(), fleet(a=2, b=1, c=1), grids))


def test_invalid_spec_is_200_and_keeps_status(client):
    req = several_namespaces()
    req["parent"]["spec"]["gridUniqKey"] = "no spaces allowed"
    req["parent"]["status"] = {"units": 7, "nodeUnits": {"x": {"nodes": ["n"]}}}
    resp = post(client, "/nodegroup/sync", req)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["children"] == [] and body["status"]["units"] == 7
    assert body["status"]["conditions"][-1]["reason"] == "InvalidSpec"


@pytest.mark.parametrize("missing", ["children", "related"])
def test_sync_without_children_or_related_is_4xx(client, missing):
    req = several_namespaces()
    del req[missing]
    assert post(client, "/nodegroup/sync", req).status_code == 400


def test_non_object_related_entry_is_4xx(client):
    req = several_namespaces()
    req["related"]["DeploymentGrid.superedge.io/v1"] = []
    assert post(client, "/nodegroup/sync", req).status_code == 400


def test_wrong_content_type_is_415(client):
    assert post(client, "/nodegroup/sync", several_namespaces(), content_type="text/plain").status_code == 415


def test_internal_error_is_500_and_names_the_node_group(client, monkeypatch, caplog):
    from hooks.nodegroups import nodegroup

    def boom(*args):
        raise RuntimeError("bug")

    monkeypatch.setattr(nodegroup, "workloads_by_unit", boom)
    resp = post(client, "/nodegroup/sync", several_namespaces())
    assert resp.status_code == 500 and "error" in resp.get_json()
    assert "sites" in caplog.text
