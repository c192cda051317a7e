"""Contract tests of siteSource: NodeUnits over HTTP (conftest's client): NodeGroup -> NodeUnits -> grid."""

import json

import pytest

from hooks.grids.children import METACONTROLLER_LAST_APPLIED
from hooks.sites.nodeunit import NODEUNIT_TYPE
from tests.support.builders import children_map, grid, observed, post, same_answer_in_any_order, site_nodes
from tests.support.nodegroup_builders import ng_request, node_group
from tests.support.nodeunit_builders import as_stored, nu_request
from tests.support.service_builders import observed_service, service_grid


def nodeunits_over_http(client, nodes):
    resp = post(client, "/nodegroup/sync", ng_request(node_group(), nodes))
    assert resp.status_code == 200
    return {c["metadata"]["name"]: as_stored(c) for c in resp.get_json()["children"]}


@pytest.mark.parametrize(
    ("route", "grid_kind", "child_type"),
    [
        ("deploymentgrid", "DeploymentGrid", "Deployment.apps/v1"),
        ("statefulsetgrid", "StatefulSetGrid", "StatefulSet.apps/v1"),
    ],
)
def test_chain_nodegroup_to_grid(client, route, grid_kind, child_type):
    parent = grid(grid_kind, siteSource="NodeUnits")
    rules = post(client, f"/{route}/customize", {"controller": {}, "parent": parent}).get_json()["relatedResources"]
    assert [(r["apiVersion"], r["resource"]) for r in rules] == [("superedge.io/v1", "nodeunits")]

    nodeunits = nodeunits_over_http(client, site_nodes(a=2, b=1))
    resp = post(client, f"/{route}/sync", nu_request(parent, nodeunits, child_type=child_type))
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"status", "children"}
    assert [c["metadata"]["name"] for c in body["children"]] == ["web-a", "web-b"]
    assert body["status"]["units"] == 2


def test_no_nodeunits_is_200_with_every_child_kept(client):
    first = post(
        client,
        "/deploymentgrid/sync",
        nu_request(grid(siteSource="NodeUnits"), nodeunits_over_http(client, site_nodes(a=1, b=1))),
    )
    lives = children_map([observed(c) for c in first.get_json()["children"]])
    resp = post(client, "/deploymentgrid/sync", nu_request(grid(siteSource="NodeUnits"), {}, lives))
    assert resp.status_code == 200
    body = resp.get_json()
    assert [c["metadata"]["name"] for c in body["children"]] == ["web-a", "web-b"]
    assert body["status"]["conditions"][-1]["reason"] == "NoNodeUnits"


def test_missing_nodeunit_list_is_200_with_every_child_kept(client):
    first = post(
        client,
        "/deploymentgrid/sync",
        nu_request(grid(siteSource="NodeUnits"), nodeunits_over_http(client, site_nodes(a=1))),
    )
    req = nu_request(
        grid(siteSource="NodeUnits"), {}, children_map([observed(c) for c in first.get_json()["children"]])
    )
    del req["related"][NODEUNIT_TYPE]
    body = post(client, "/deploymentgrid/sync", req).get_json()
    assert [c["metadata"]["name"] for c in body["children"]] == ["web-a"]
    assert body["status"]["conditions"][-1]["reason"] == "NodeUnitsNotObserved"


def test_the_order_of_a_requests_maps_does_not_change_the_answer(client):
    req = nu_request(grid(siteSource="NodeUnits"), nodeunits_over_http(client, site_nodes(a=1, b=3, c=1)))
    same_answer_in_any_order(client, "/deploymentgrid/sync", req)


def test_nodegroup_keeps_nodeunits_over_http_on_invalid_spec(client):
    nodeunits = nodeunits_over_http(client, site_nodes(a=1))
    resp = post(client, "/nodegroup/sync", ng_request(node_group(gridUniqKey="bad key"), {}, nodeunits=nodeunits))
    assert resp.status_code == 200
    assert [c["metadata"]["name"] for c in resp.get_json()["children"]] == ["sites-a"]


@pytest.mark.parametrize("odd", [None, "x", 5, [], {"a": "b"}])
def test_odd_nodeunit_entries_are_not_5xx(client, odd):
    req = nu_request(grid(siteSource="NodeUnits"), {"odd": odd})
    resp = post(client, "/deploymentgrid/sync", req)
    assert resp.status_code == 200 and resp.get_json()["status"]["conditions"][-1]["reason"] == "NoNodeUnits"


GRID_ROUTES = [
    ("deploymentgrid", lambda: grid("DeploymentGrid", siteSource="NodeUnits"), "Deployment.apps/v1", observed),
    ("statefulsetgrid", lambda: grid("StatefulSetGrid", siteSource="NodeUnits"), "StatefulSet.apps/v1", observed),
    ("servicegrid", lambda: service_grid("api", siteSource="NodeUnits"), "Service.v1", observed_service),
]


def applied(child, stored):
    """What Metacontroller leaves in the cluster: the stored form plus its last-applied record."""
    live = stored(child)
    live["metadata"].setdefault("annotations", {})[METACONTROLLER_LAST_APPLIED] = json.dumps(child)
    return live


@pytest.mark.parametrize(("route", "make", "child_type", "stored"), GRID_ROUTES)
def test_partial_nodeunit_set_over_http_keeps_every_child_as_it_was(client, route, make, child_type, stored):
    """A NodeGroup half deleted (or half created): through the server's reduced decoding, nothing changes."""
    parent = make()
    full = nodeunits_over_http(client, site_nodes(a=1, b=1, c=1))
    steady = post(client, f"/{route}/sync", nu_request(parent, full, child_type=child_type)).get_json()["children"]
    lives = children_map([applied(c, stored) for c in steady])
    partial = {name: nu for name, nu in full.items() if nu["spec"]["unit"] == "b"}
    resp = post(client, f"/{route}/sync", nu_request(parent, partial, lives, child_type=child_type))
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"status", "children"}  # no departure clock started
    assert body["children"] == steady
    synced = next(c for c in body["status"]["conditions"] if c["type"] == "Synced")
    assert synced["reason"] == "UnitsWithoutNodeUnit" and "a, c" in synced["message"]


@pytest.mark.parametrize(("route", "make", "child_type", "stored"), GRID_ROUTES)
def test_tombstone_over_http_removes_the_site(client, route, make, child_type, stored):
    parent = make()
    full = nodeunits_over_http(client, site_nodes(a=1, b=1))
    steady = post(client, f"/{route}/sync", nu_request(parent, full, child_type=child_type)).get_json()["children"]
    ng = post(client, "/nodegroup/sync", ng_request(node_group(), site_nodes(a=1), nodeunits=full)).get_json()
    assert ng["resyncAfterSeconds"] == 86400
    after = {c["metadata"]["name"]: as_stored(c) for c in ng["children"]}
    assert after["sites-b"]["spec"]["nodes"] == []
    lives = children_map([applied(c, stored) for c in steady])
    body = post(client, f"/{route}/sync", nu_request(parent, after, lives, child_type=child_type)).get_json()
    assert not any(c["metadata"]["name"].endswith("-b") for c in body["children"])
    assert [c for c in steady if not c["metadata"]["name"].endswith("-b")] == body["children"]
