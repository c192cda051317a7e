"""HOOKS_ALLOWED_UNIQ_KEYS over HTTP: a grid or NodeGroup with another key creates nothing, fetches no Node,
keeps what it has and says why."""

from __future__ import annotations

import pytest

from hooks.server.app import create_app
from hooks.server.settings import SettingsError, allowed_uniq_keys
from hooks.sites.site_spec import ANY_KEY, AllowedKeys
from tests.support.builders import NOW, children_map, grid, observed, post, site_nodes, sync_request
from tests.support.nodegroup_builders import fleet, ng_request, node_group
from tests.support.nodeunit_builders import nodeunits_of
from tests.support.service_builders import observed_service, service_grid, service_sync_request, zone_request

HOSTNAME = "kubernetes.io/hostname"
ALLOWED = AllowedKeys.only(["site", "topology.kubernetes.io/zone"])

KINDS = {
    "deploymentgrid": (lambda key: grid(gridUniqKey=key), sync_request, observed),
    "statefulsetgrid": (
        lambda key: grid("StatefulSetGrid", gridUniqKey=key),
        lambda parent, nodes, children=None: sync_request(parent, nodes, children, "StatefulSet.apps/v1"),
        observed,
    ),
    "servicegrid": (lambda key: service_grid(gridUniqKey=key), service_sync_request, observed_service),
}


@pytest.fixture
def restricted():
    return create_app(clock=lambda: NOW, max_bytes=1 << 20, allowed=ALLOWED).test_client()


@pytest.fixture
def open_app():
    return create_app(clock=lambda: NOW, max_bytes=1 << 20, allowed=ANY_KEY).test_client()


def synced(body: dict) -> dict:
    return next(c for c in body["status"]["conditions"] if c["type"] == "Synced")


def hostname_nodes(*names: str) -> dict:
    return site_nodes(HOSTNAME, **dict.fromkeys(names, 1))


@pytest.mark.parametrize("route", sorted(KINDS))
def test_a_grid_with_another_key_creates_nothing_and_says_why(restricted, route):
    make, request, _ = KINDS[route]
    body = post(restricted, f"/{route}/sync", request(make(HOSTNAME), hostname_nodes("edge-1", "edge-2"))).get_json()
    assert body["children"] == []
    condition = synced(body)
    assert condition["status"] == "False" and condition["reason"] == "UniqKeyNotAllowed"
    assert f"'{HOSTNAME}' is not allowed" in condition["message"]
    assert "'site', 'topology.kubernetes.io/zone'" in condition["message"]
    assert "edge-1" not in str(body)


@pytest.mark.parametrize("route", sorted(KINDS))
def test_its_existing_children_are_kept_as_they_are(restricted, open_app, route):
    """Installed after the grid: what it already has stays (a 200 without them would delete them)."""
    make, request, live = KINDS[route]
    parent = make(HOSTNAME)
    before = post(open_app, f"/{route}/sync", request(parent, hostname_nodes("edge-1"))).get_json()
    lives = children_map([live(c) for c in before["children"]])
    parent["status"] = before["status"]
    body = post(restricted, f"/{route}/sync", request(parent, hostname_nodes("edge-1", "edge-2"), lives)).get_json()
    assert sorted(c["metadata"]["name"] for c in body["children"]) == sorted(
        c["metadata"]["name"] for c in before["children"]
    )
    assert synced(body)["reason"] == "UniqKeyNotAllowed"


@pytest.mark.parametrize("route", sorted(KINDS))
def test_its_customize_hook_asks_for_no_node(restricted, open_app, route):
    make, _, _ = KINDS[route]
    for parent in (make(HOSTNAME), make(HOSTNAME) | {"spec": {**make(HOSTNAME)["spec"], "siteSource": "NodeUnits"}}):
        request = {"controller": {}, "parent": parent}
        assert post(restricted, f"/{route}/customize", request).get_json() == {"relatedResources": []}
        assert post(open_app, f"/{route}/customize", request).get_json()["relatedResources"]


@pytest.mark.parametrize("route", sorted(KINDS))
def test_an_allowed_key_works_as_ever(restricted, open_app, route):
    make, request, _ = KINDS[route]
    req = request(make("site"), site_nodes(a=1, b=2))
    assert post(restricted, f"/{route}/sync", req).data == post(open_app, f"/{route}/sync", req).data
    customize = {"controller": {}, "parent": make("topology.kubernetes.io/zone")}
    assert post(restricted, f"/{route}/customize", customize).get_json()["relatedResources"]


def test_a_nodegroup_with_another_key_keeps_its_nodeunits_and_asks_for_nothing(restricted):
    nodes = fleet(key=HOSTNAME, **{"edge-1": 1, "edge-2": 1})
    kept = nodeunits_of(nodes, key=HOSTNAME)
    body = post(restricted, "/nodegroup/sync", ng_request(node_group(gridUniqKey=HOSTNAME), nodes, nodeunits=kept))
    body = body.get_json()
    assert sorted(c["metadata"]["name"] for c in body["children"]) == sorted(kept)
    assert synced(body)["reason"] == "UniqKeyNotAllowed"
    customize = {"controller": {}, "parent": node_group(gridUniqKey=HOSTNAME)}
    assert post(restricted, "/nodegroup/customize", customize).get_json() == {"relatedResources": []}
    fresh = post(restricted, "/nodegroup/sync", ng_request(node_group(gridUniqKey=HOSTNAME), nodes)).get_json()
    assert fresh["children"] == [] and "nodeUnits" not in fresh["status"]


def test_the_node_zone_decorator_is_not_restricted(restricted):
    """Its key is the installation's own (an annotation on its DecoratorController), not a grid author's."""
    body = post(restricted, "/nodezone/sync", zone_request({"region": "r1"}, key="region")).get_json()
    assert body["labels"] == {"topology.kubernetes.io/zone": "r1"}


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("HOOKS_ALLOWED_UNIQ_KEYS", " site , topology.kubernetes.io/zone ")
    client = create_app(clock=lambda: NOW, max_bytes=1 << 20).test_client()
    body = post(
        client, "/deploymentgrid/sync", sync_request(grid(gridUniqKey=HOSTNAME), hostname_nodes("e"))
    ).get_json()
    assert synced(body)["reason"] == "UniqKeyNotAllowed"
    body = post(client, "/deploymentgrid/sync", sync_request(grid(), site_nodes(a=1))).get_json()
    assert [c["metadata"]["name"] for c in body["children"]] == ["web-a"]


@pytest.mark.parametrize("raw", ["", "   "])
def test_unset_or_empty_allows_any_key(raw):
    assert allowed_uniq_keys({"HOOKS_ALLOWED_UNIQ_KEYS": raw}) == ANY_KEY
    assert allowed_uniq_keys({}) == ANY_KEY


@pytest.mark.parametrize("raw", [",", "site,bad key", "site,-x", "a/b/c"])
def test_a_bad_setting_stops_the_server(monkeypatch, raw):
    with pytest.raises(SettingsError, match="HOOKS_ALLOWED_UNIQ_KEYS"):
        allowed_uniq_keys({"HOOKS_ALLOWED_UNIQ_KEYS": raw})
    monkeypatch.setenv("HOOKS_ALLOWED_UNIQ_KEYS", raw)
    with pytest.raises(SettingsError, match="HOOKS_ALLOWED_UNIQ_KEYS"):
        create_app()
