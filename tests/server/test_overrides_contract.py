"""spec.overrides through the real Flask app: v2 shapes, and never a 5xx or a dropped child for bad overrides."""

import pytest

from tests.server.test_contract import post
from tests.support.builders import children_map, grid, observed, site_nodes, sync_request

SITE_ENV = {
    "op": "add",
    "path": "/spec/template/spec/containers/0/env",
    "value": [{"name": "SITE", "value": "{{unit}}"}],
}


def synced(body):
    return next(c for c in body["status"]["conditions"] if c["type"] == "Synced")


@pytest.mark.parametrize(
    ("path", "grid_kind", "child_type"),
    [
        ("/deploymentgrid/sync", "DeploymentGrid", "Deployment.apps/v1"),
        ("/statefulsetgrid/sync", "StatefulSetGrid", "StatefulSet.apps/v1"),
    ],
)
def test_overrides_render_per_unit_over_http(client, path, grid_kind, child_type):
    overrides = [{"patch": [SITE_ENV]}, {"units": ["b"], "replicas": 5, "images": {"web": "nginx:1.28"}}]
    req = sync_request(grid(grid_kind, overrides=overrides), site_nodes(a=1, b=1), child_type=child_type)
    resp = post(client, path, req)
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"status", "children"}
    a, b = body["children"]
    assert a["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "SITE", "value": "a"}]
    assert (b["spec"]["replicas"], b["spec"]["template"]["spec"]["containers"][0]["image"]) == (5, "nginx:1.28")
    assert post(client, path, req).data == resp.data


def live_children(client):
    body = post(client, "/deploymentgrid/sync", sync_request(grid(), site_nodes(a=1, b=1))).get_json()
    return children_map([observed(c) for c in body["children"]])


def test_invalid_overrides_list_is_200_keeping_every_child(client):
    req = sync_request(
        grid(overrides=[{"patch": [{"op": "merge", "path": "/x"}]}]), site_nodes(a=1, b=1), live_children(client)
    )
    resp = post(client, "/deploymentgrid/sync", req)
    assert resp.status_code == 200
    body = resp.get_json()
    assert [c["metadata"]["name"] for c in body["children"]] == ["web-a", "web-b"]
    assert synced(body)["reason"] == "InvalidSpec" and "spec.overrides[0].patch[0].op" in synced(body)["message"]


def test_patch_failing_in_one_unit_is_200_keeping_that_child(client):
    overrides = [{"units": ["b"], "patch": [{"op": "remove", "path": "/spec/template/spec/volumes"}]}, {"replicas": 3}]
    req = sync_request(grid(overrides=overrides), site_nodes(a=1, b=1), live_children(client))
    resp = post(client, "/deploymentgrid/sync", req)
    assert resp.status_code == 200
    body = resp.get_json()
    kids = {c["metadata"]["name"]: c for c in body["children"]}
    assert kids["web-a"]["spec"]["replicas"] == 3
    assert kids["web-b"]["spec"]["replicas"] == 2  # kept as observed
    assert "overrides[0].patch[0] (remove /spec/template/spec/volumes)" in body["status"]["states"]["b"]["error"]
    assert synced(body)["status"] == "False" and "(unit b)" in synced(body)["message"]


def test_hostile_patch_value_types_never_cause_5xx(client):
    hostile = [
        {"op": "replace", "path": "/spec", "value": 5},
        {"op": "replace", "path": "/metadata", "value": [1, 2]},
        {"op": "add", "path": "/spec/selector", "value": "x"},
        {"op": "add", "path": "/spec/template/spec/nodeSelector", "value": 7},
        {"op": "add", "path": "/spec/template/metadata/labels", "value": True},
    ]
    for op in hostile:
        req = sync_request(
            grid(overrides=[{"units": ["a"], "patch": [op]}]), site_nodes(a=1, b=1), live_children(client)
        )
        resp = post(client, "/deploymentgrid/sync", req)
        assert resp.status_code == 200, op
        assert [c["metadata"]["name"] for c in resp.get_json()["children"]] == ["web-a", "web-b"]
        assert "rendered child is invalid" in resp.get_json()["status"]["states"]["a"]["error"]
