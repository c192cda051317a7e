"""A hostile grid (20 copies doubling the pod template) through the real Flask app: 200, every child kept,
Synced=False naming the limit, and the patch stopped at the copy that would pass it (the copies after it
never run)."""

import re

import pytest

from tests.grids.test_limits import doubling
from tests.support.builders import children_map, grid, observed, post, site_nodes, sync_request
from tests.support.service_builders import observed_service, service_grid, service_sync_request

UNITS = {f"site-{i:03d}": 1 for i in range(100)}


def synced(body: dict) -> dict:
    return next(c for c in body["status"]["conditions"] if c["type"] == "Synced")


@pytest.mark.parametrize(
    ("path", "grid_kind", "child_type"),
    [
        ("/deploymentgrid/sync", "DeploymentGrid", "Deployment.apps/v1"),
        ("/statefulsetgrid/sync", "StatefulSetGrid", "StatefulSet.apps/v1"),
    ],
)
def test_twenty_doubling_copies_over_100_units(client, path, grid_kind, child_type):
    nodes = site_nodes(**UNITS)
    plain = post(client, path, sync_request(grid(grid_kind), nodes, child_type=child_type)).get_json()["children"]
    lives = children_map([observed(c) for c in plain])
    hostile = grid(grid_kind, overrides=[{"patch": doubling(20)}])
    resp = post(client, path, sync_request(hostile, nodes, lives, child_type=child_type))
    assert resp.status_code == 200
    body = resp.get_json()
    assert [c["spec"] for c in body["children"]] == [c["spec"] for c in plain]
    condition = synced(body)
    assert (condition["status"], condition["reason"]) == ("False", "ChildTooLarge")
    assert condition["message"].startswith("all 100 units could not be rendered (an existing child is kept as it is)")
    stopped = {int(re.search(r"patch\[(\d+)\]", s["error"]).group(1)) for s in body["status"]["states"].values()}
    assert stopped == {12}  # a 130-byte template doubled 11 times; the 12th copy would pass the limit: never made


def test_a_service_grid_whose_services_cannot_be_stored_keeps_them(client):
    nodes = site_nodes(a=1, b=1)
    plain = post(client, "/servicegrid/sync", service_sync_request(service_grid(), nodes)).get_json()["children"]
    lives = children_map([observed_service(c) for c in plain])
    parent = service_grid()
    parent["metadata"]["annotations"] = {"example.com/notes": "n" * 140_000}
    resp = post(client, "/servicegrid/sync", service_sync_request(parent, nodes, lives))
    assert resp.status_code == 200
    body = resp.get_json()
    assert [c["metadata"]["name"] for c in body["children"]] == ["web-svc", "web-svc-a", "web-svc-b"]
    assert synced(body)["reason"] == "ChildTooLarge" and "docs/reference.md#limits" in synced(body)["message"]
