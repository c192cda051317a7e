"""Contract tests: the real Flask app over HTTP with Metacontroller v2-shaped requests."""

import pytest

from hooks.grids import service_grid, workload_grid
from hooks.server.app import hook_table
from tests.support.builders import (
    children_map,
    deployment_spec,
    grid,
    observed,
    post,
    same_answer_in_any_order,
    site_nodes,
    sync_request,
)
from tests.support.service_builders import service_grid as service_grid_parent
from tests.support.service_builders import service_sync_request

ROUTES = sorted(hook_table())


def test_sync_answers_v2_shape(client):
    resp = post(client, "/deploymentgrid/sync", sync_request(grid(), site_nodes(a=1, b=2)))
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"status", "children"}
    assert [c["metadata"]["name"] for c in body["children"]] == ["web-a", "web-b"]
    assert body["status"]["units"] == 2


def test_statefulset_sync(client):
    req = sync_request(grid("StatefulSetGrid"), site_nodes(a=1), child_type="StatefulSet.apps/v1")
    body = post(client, "/statefulsetgrid/sync", req).get_json()
    assert [c["kind"] for c in body["children"]] == ["StatefulSet"]


def test_customize_answers_related_resources_only(client):
    body = post(client, "/deploymentgrid/customize", {"controller": {}, "parent": grid()}).get_json()
    assert set(body) == {"relatedResources"}
    assert body["relatedResources"][0]["resource"] == "nodes"


def test_the_order_of_a_requests_maps_does_not_change_the_answer(client):
    first = post(client, "/deploymentgrid/sync", sync_request(grid(), site_nodes(a=1, b=1, c=3))).get_json()
    lives = children_map([observed(c) for c in first["children"]])
    req = sync_request(grid(template=deployment_spec(replicas=3)), site_nodes(a=1, b=1, c=3, d=2), lives)
    same_answer_in_any_order(client, "/deploymentgrid/sync", req)


def test_invalid_spec_is_200_with_children_kept(client):
    live = observed(
        post(client, "/deploymentgrid/sync", sync_request(grid(), site_nodes(a=1))).get_json()["children"][0]
    )
    req = sync_request(grid(gridUniqKey="no spaces allowed"), site_nodes(a=1), children_map([live]))
    body = post(client, "/deploymentgrid/sync", req).get_json()
    assert [c["metadata"]["name"] for c in body["children"]] == ["web-a"]


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize(
    "body",
    [b"{", b"", b"[]", b"null", b"42", b'"x"', b'{"parent": null}', b'{"parent": []}', b'{"parent": {"metadata": {}}}'],
)
def test_malformed_requests_get_4xx_json(client, path, body):
    resp = post(client, path, body)
    assert 400 <= resp.status_code < 500
    assert "error" in resp.get_json()


@pytest.mark.parametrize("missing", ["children", "related"])
def test_sync_without_children_or_related_is_4xx(client, missing):
    req = sync_request(grid(), site_nodes(a=1))
    del req[missing]
    assert post(client, "/deploymentgrid/sync", req).status_code == 400


def test_non_object_related_entry_is_4xx(client):
    req = sync_request(grid(), site_nodes(a=1))
    req["related"]["Node.v1"] = []
    assert post(client, "/deploymentgrid/sync", req).status_code == 400


@pytest.mark.parametrize("path", ROUTES)
def test_wrong_content_type_is_415(client, path):
    resp = post(client, path, sync_request(grid(), {}), content_type="text/plain")
    assert resp.status_code == 415 and "error" in resp.get_json()


def test_oversized_body_is_413(client):
    resp = post(client, "/deploymentgrid/sync", b" " * ((1 << 20) + 1))
    assert resp.status_code == 413 and "error" in resp.get_json()


def test_get_on_hook_is_405_and_healthz_ok(client):
    assert client.get("/deploymentgrid/sync").status_code == 405
    assert client.get("/healthz").get_json() == {"ok": True}


@pytest.mark.parametrize(
    ("module", "renderer", "path", "request_for"),
    [
        (workload_grid, "render_units", "/deploymentgrid/sync", lambda: sync_request(grid(), site_nodes(a=1))),
        (
            service_grid,
            "render_services",
            "/servicegrid/sync",
            lambda: service_sync_request(service_grid_parent(), site_nodes(a=1)),
        ),
    ],
)
def test_internal_error_is_500_json_and_logged(client, monkeypatch, caplog, module, renderer, path, request_for):
    def boom(*args):
        raise RuntimeError("bug")

    monkeypatch.setattr(module, renderer, boom)
    resp = post(client, path, request_for())
    assert resp.status_code == 500 and "error" in resp.get_json()
    assert "shop/web" in caplog.text


@pytest.mark.parametrize("raw", ["lots", "-5", "0", "1e6"])
def test_malformed_size_limit_stops_the_server(monkeypatch, raw):
    from hooks.server.app import create_app

    monkeypatch.setenv("HOOKS_MAX_REQUEST_BYTES", raw)
    with pytest.raises(ValueError, match="HOOKS_MAX_REQUEST_BYTES"):
        create_app()
