"""Contract tests for the ServiceGrid and node zone routes: the real Flask app over HTTP, v2 shapes."""

import logging

import pytest

from hooks.sites.node_zone import ZONE_LABEL
from tests.support.builders import children_map, post, same_answer_in_any_order, site_nodes
from tests.support.service_builders import observed_service, service_grid, service_sync_request, zone_request

# Keys Metacontroller's strict v2 parsing accepts in each answer.
COMPOSITE_KEYS = {"status", "children", "resyncAfterSeconds"}
DECORATOR_KEYS = {"labels", "annotations", "status", "attachments", "resyncAfterSeconds", "finalized"}


def test_servicegrid_sync_answers_v2_shape(client):
    resp = post(client, "/servicegrid/sync", service_sync_request(service_grid(), site_nodes(a=1, b=2)))
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"status", "children"} <= COMPOSITE_KEYS
    assert [c["metadata"]["name"] for c in body["children"]] == ["web-svc", "web-svc-a", "web-svc-b"]
    assert body["status"]["units"] == 2


def test_servicegrid_customize_answers_related_resources_only(client):
    body = post(client, "/servicegrid/customize", {"controller": {}, "parent": service_grid()}).get_json()
    assert set(body) == {"relatedResources"}
    assert body["relatedResources"][0]["resource"] == "nodes"


def test_servicegrid_answer_does_not_depend_on_the_order_of_the_request(client):
    req = service_sync_request(service_grid(), site_nodes(a=1, b=1, c=3))
    same_answer_in_any_order(client, "/servicegrid/sync", req)


def test_servicegrid_invalid_spec_is_200_with_services_kept(client):
    first = post(client, "/servicegrid/sync", service_sync_request(service_grid(), site_nodes(a=1))).get_json()
    lives = children_map([observed_service(c) for c in first["children"]])
    req = service_sync_request(service_grid(perUnitServices="no"), site_nodes(a=1), lives)
    resp = post(client, "/servicegrid/sync", req)
    assert resp.status_code == 200
    assert [c["metadata"]["name"] for c in resp.get_json()["children"]] == ["web-svc", "web-svc-a"]


def test_nodezone_answers_decorator_keys_only(client):
    resp = post(client, "/nodezone/sync", zone_request({"site": "a"}))
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) <= DECORATOR_KEYS
    assert body["labels"] == {ZONE_LABEL: "a"}
    assert "status" not in body


def test_nodezone_node_without_key_is_200_without_changes(client):
    resp = post(client, "/nodezone/sync", zone_request({"other": "x"}))
    assert resp.status_code == 200 and resp.get_json() == {"labels": {}, "annotations": {}}


def test_nodezone_missing_annotation_is_200_and_logged(client, caplog):
    with caplog.at_level(logging.WARNING, logger="hooks"):
        resp = post(client, "/nodezone/sync", zone_request({"site": "a"}, key=None))
    assert resp.status_code == 200 and resp.get_json() == {"labels": {}, "annotations": {}}
    assert "superedge.io/unit-label-key" in caplog.text and "edge-1" in caplog.text


def test_nodezone_finalize_says_finalized(client):
    req = zone_request({"site": "a", ZONE_LABEL: "a"}, {"superedge.io/zone-set-by-decorator": "a"})
    req["finalizing"] = True
    assert post(client, "/nodezone/sync", req).get_json()["finalized"] is True


@pytest.mark.parametrize("missing", ["children", "related"])
def test_servicegrid_sync_without_children_or_related_is_4xx(client, missing):
    req = service_sync_request(service_grid(), site_nodes(a=1))
    del req[missing]
    assert post(client, "/servicegrid/sync", req).status_code == 400


def test_nodezone_without_controller_is_4xx(client):
    req = zone_request({"site": "a"})
    del req["controller"]
    assert post(client, "/nodezone/sync", req).status_code == 400
