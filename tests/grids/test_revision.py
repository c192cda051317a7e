"""The revision stamp: a child the API server did not take shows as not ready and not synced."""

from __future__ import annotations

import copy
import hashlib

from hooks.grids.revision import REVISION_ANNOTATION, revision_of, stamped
from hooks.grids.service_grid import sync as service_sync
from hooks.grids.workload import DEPLOYMENT
from hooks.grids.workload_grid import sync as workload_sync
from tests.support.builders import NOW, children_map, deployment_spec, grid, observed, site_nodes, sync_request
from tests.support.service_builders import observed_service, service_grid, service_sync_request


def sync(request: dict) -> dict:
    return workload_sync(request, DEPLOYMENT, NOW)


def synced(response: dict) -> dict:
    return next(c for c in response["status"]["conditions"] if c["type"] == "Synced")


def steady(parent: dict, nodes: dict) -> dict:
    """The observed children after the grid's children landed as rendered."""
    return children_map([observed(c) for c in sync(sync_request(parent, nodes))["children"]])


CANONICAL = (
    '{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{"a":"ü"},"name":"s"},'
    '"spec":{"ports":[{"port":80}],"weight":0.5}}'
)
"""The canonical JSON of ``VECTOR_CHILD`` written by hand: keys sorted at every level, no spaces, UTF-8."""
VECTOR_CHILD = {
    "kind": "Service",
    "apiVersion": "v1",
    "spec": {"weight": 0.5, "ports": [{"port": 80}]},
    "metadata": {"name": "s", "annotations": {"a": "ü"}},
}


def test_the_stamp_matches_an_independent_digest_vector() -> None:
    """sha256 of the hand-written canonical JSON, by hashlib and by `printf '%s' "$CANONICAL" | sha256sum`."""
    assert hashlib.sha256(CANONICAL.encode()).hexdigest()[:16] == "9ae4996bc76140d4"
    once = stamped(VECTOR_CHILD)
    assert once["metadata"]["annotations"][REVISION_ANNOTATION] == "9ae4996bc76140d4"
    assert stamped(once) == once  # the stamp leaves itself out
    assert VECTOR_CHILD["metadata"]["annotations"] == {"a": "ü"}  # the input is not changed


def test_the_stamp_is_a_hash_of_the_child_without_the_stamp() -> None:
    child = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "annotations": {"a": "b"}}}
    once = stamped(child)
    assert once["metadata"]["annotations"][REVISION_ANNOTATION] == revision_of(child) == revision_of(once)
    assert stamped(once) == once
    assert child["metadata"]["annotations"] == {"a": "b"}  # the input is not changed
    changed = {**child, "spec": {"type": "ClusterIP"}}
    assert revision_of(changed) != revision_of(child)


def test_landed_children_are_synced_and_ready() -> None:
    parent, nodes = grid(), site_nodes(a=1, b=1)
    response = sync(sync_request(parent, nodes, steady(parent, nodes)))
    assert synced(response)["status"] == "True"
    assert response["status"]["readyUnits"] == 2


def test_a_child_refused_by_the_api_server_is_not_ready_and_named_in_synced() -> None:
    parent, nodes = grid(), site_nodes(a=1, b=1)
    before = steady(parent, nodes)
    changed = grid(template=deployment_spec(image="nginx:1.28"))
    # Metacontroller sent the new children; the API server took b's but refused a's (a's stays as before).
    after = steady(changed, nodes)
    refused = {"shop/web-a": before["shop/web-a"], "shop/web-b": after["shop/web-b"]}
    response = sync(sync_request(changed, nodes, refused))
    condition = synced(response)
    assert condition["status"] == "False" and condition["reason"] == "ChildrenNotApplied"
    assert condition["message"].startswith("1 unit(s) do not carry their rendered child yet: a.")
    assert "kubectl describe" in condition["message"]
    assert response["status"]["states"]["a"]["ready"] is False
    assert response["status"]["states"]["b"]["ready"] is True
    assert response["status"]["readyUnits"] == 1
    # the desired child is still the new one: Metacontroller keeps trying
    images = {
        c["metadata"]["name"]: c["spec"]["template"]["spec"]["containers"][0]["image"] for c in response["children"]
    }
    assert images == {"web-a": "nginx:1.28", "web-b": "nginx:1.28"}


def test_children_from_before_the_stamp_count_as_not_landed_until_applied_again() -> None:
    parent, nodes = grid(), site_nodes(a=1)
    old = copy.deepcopy(steady(parent, nodes))
    del old["shop/web-a"]["metadata"]["annotations"][REVISION_ANNOTATION]
    assert synced(sync(sync_request(parent, nodes, old)))["reason"] == "ChildrenNotApplied"


def test_unit_errors_take_precedence_over_unlanded_children() -> None:
    parent = grid(templates={"a": "missing"})
    nodes = site_nodes(a=1, b=1)
    stale = steady(grid(), nodes)
    stale["shop/web-b"]["metadata"]["annotations"][REVISION_ANNOTATION] = "0" * 16
    assert synced(sync(sync_request(parent, nodes, stale)))["reason"] == "UnitErrors"


def test_a_new_unit_without_a_child_yet_is_not_reported_as_refused() -> None:
    parent, nodes = grid(), site_nodes(a=1)
    assert synced(sync(sync_request(parent, nodes)))["status"] == "True"


def test_a_shared_service_that_did_not_land_is_named() -> None:
    parent, nodes = service_grid(), site_nodes(a=1)
    first = service_sync(service_sync_request(parent, nodes), NOW)
    landed = children_map([observed_service(c) for c in first["children"]])
    assert synced(service_sync(service_sync_request(parent, nodes, landed), NOW))["status"] == "True"
    refused = copy.deepcopy(landed)
    refused["shop/web-svc"]["metadata"]["annotations"][REVISION_ANNOTATION] = "0" * 16
    response = service_sync(service_sync_request(parent, nodes, refused), NOW)
    assert synced(response)["reason"] == "ChildrenNotApplied"
    assert "(the shared Service)" in synced(response)["message"]
    assert response["status"]["readyUnits"] == 0
