"""spec.unitRemovalGracePeriodSeconds across simulated time, through the real sync hooks."""

import pytest

from hooks.grids import service_grid, workload_grid
from hooks.grids.grace import MISSING_SINCE
from hooks.grids.workload import DEPLOYMENT
from tests.support.builders import children_map, grid, observed, site_nodes, sync_request
from tests.support.service_builders import service_grid as service_grid_parent
from tests.support.service_builders import service_sync_request

T0, T30, T60, T61 = (f"2026-01-01T00:{m}Z" for m in ("00:00", "00:30", "01:00", "01:01"))


def names(resp):
    return sorted(c["metadata"]["name"] for c in resp["children"])


def live(resp):
    """The response's children as the cluster would show them on the next sync."""
    return children_map([observed(c) if c["kind"] == "Deployment" else c for c in resp["children"]])


def deploy_sync(parent, nodes, children, now):
    return workload_grid.sync(sync_request(parent, nodes, children), DEPLOYMENT, now)


def test_default_removes_at_once():
    first = deploy_sync(grid(), site_nodes(a=1, b=1), {}, T0)
    assert names(deploy_sync(grid(), site_nodes(a=1), live(first), T0)) == ["web-a"]


def test_child_kept_through_grace_then_removed():
    parent = grid(unitRemovalGracePeriodSeconds=60)
    first = deploy_sync(parent, site_nodes(a=1, b=1), {}, T0)
    gone = deploy_sync(parent, site_nodes(a=1), live(first), T0)
    assert names(gone) == ["web-a", "web-b"]
    kept = {c["metadata"]["name"]: c for c in gone["children"]}["web-b"]
    assert kept["metadata"]["annotations"][MISSING_SINCE] == T0
    assert gone["resyncAfterSeconds"] == 60
    assert gone["status"]["states"]["b"]["removalAt"] == T60
    assert "resyncAfterSeconds" not in first

    later = deploy_sync(parent, site_nodes(a=1), live(gone), T30)
    assert names(later) == ["web-a", "web-b"] and later["resyncAfterSeconds"] == 30
    assert {c["metadata"]["name"]: c for c in later["children"]}["web-b"]["metadata"]["annotations"][
        MISSING_SINCE
    ] == T0

    expired = deploy_sync(parent, site_nodes(a=1), live(later), T60)
    assert names(expired) == ["web-a"] and "resyncAfterSeconds" not in expired


def test_unit_that_returns_loses_nothing_and_clears_the_mark():
    parent = grid(unitRemovalGracePeriodSeconds=60)
    first = deploy_sync(parent, site_nodes(a=1, b=1), {}, T0)
    gone = deploy_sync(parent, site_nodes(a=1), live(first), T0)
    back = deploy_sync(parent, site_nodes(a=1, b=1), live(gone), T30)
    assert back["children"] == first["children"]
    assert "resyncAfterSeconds" not in back
    # Gone again later: the clock restarts from the new disappearance.
    again = deploy_sync(parent, site_nodes(a=1), live(back), T61)
    assert {c["metadata"]["name"]: c for c in again["children"]}["web-b"]["metadata"]["annotations"][
        MISSING_SINCE
    ] == T61


def test_invalid_spec_keeps_departing_children_too():
    parent = grid(unitRemovalGracePeriodSeconds=60)
    first = deploy_sync(parent, site_nodes(a=1, b=1), {}, T0)
    broken = grid(unitRemovalGracePeriodSeconds=-1)
    resp = deploy_sync(broken, site_nodes(a=1), live(first), T0)
    assert names(resp) == ["web-a", "web-b"]
    assert resp["status"]["conditions"][-1]["reason"] == "InvalidSpec"


@pytest.mark.parametrize("bad", [-1, "60", 1.5, True])
def test_bad_grace_values_are_invalid_spec(bad):
    resp = deploy_sync(grid(unitRemovalGracePeriodSeconds=bad), site_nodes(a=1), {}, T0)
    assert "unitRemovalGracePeriodSeconds" in resp["status"]["conditions"][-1]["message"]


def test_service_grid_keeps_per_unit_service_through_grace():
    parent = service_grid_parent(unitRemovalGracePeriodSeconds=60)
    first = service_grid.sync(service_sync_request(parent, site_nodes(a=1, b=1)), T0)
    gone = service_grid.sync(service_sync_request(parent, site_nodes(a=1), live(first)), T0)
    assert names(gone) == ["web-svc", "web-svc-a", "web-svc-b"]
    assert gone["resyncAfterSeconds"] == 60
    expired = service_grid.sync(service_sync_request(parent, site_nodes(a=1), live(gone)), T61)
    assert names(expired) == ["web-svc", "web-svc-a"]


def test_grace_period_through_http(client):
    """The HTTP layer decodes only declared fields of observed children: labels and the mark must be among them."""
    from tests.support.builders import post

    parent = grid(unitRemovalGracePeriodSeconds=60)
    first = deploy_sync(parent, site_nodes(a=1, b=1), {}, T0)
    gone = post(client, "/deploymentgrid/sync", sync_request(parent, site_nodes(a=1), live(first))).get_json()
    assert names(gone) == ["web-a", "web-b"]
    since = {c["metadata"]["name"]: c for c in gone["children"]}["web-b"]["metadata"]["annotations"][MISSING_SINCE]
    later = post(client, "/deploymentgrid/sync", sync_request(parent, site_nodes(a=1), live(gone))).get_json()
    marked = {c["metadata"]["name"]: c for c in later["children"]}["web-b"]
    assert marked["metadata"]["annotations"][MISSING_SINCE] == since


def test_grid_labelled_with_its_own_key_conjures_no_unit():
    """The shared Service inherits the grid's labels; a `site` label there is not a departing unit."""
    parent = service_grid_parent(unitRemovalGracePeriodSeconds=60)
    parent["metadata"]["labels"] = {"site": "b"}
    first = service_grid.sync(service_sync_request(parent, site_nodes(a=1)), T0)
    again = service_grid.sync(service_sync_request(parent, site_nodes(a=1), live(first)), T30)
    assert names(again) == ["web-svc", "web-svc-a"] and "resyncAfterSeconds" not in again


def test_huge_grace_period_is_an_invalid_spec_not_a_crash():
    resp = deploy_sync(grid(unitRemovalGracePeriodSeconds=10**12), site_nodes(a=1), {}, T0)
    assert resp["status"]["conditions"][-1]["reason"] == "InvalidSpec"
