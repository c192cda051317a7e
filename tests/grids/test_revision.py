"""The revision stamp: what each rendered child carries so the next sync can tell whether it landed."""

from __future__ import annotations

import copy
import hashlib

from hooks.grids.revision import REVISION_ANNOTATION, landed, revision_of, revision_of_stamped, stamped
from hooks.grids.workload import DEPLOYMENT
from hooks.grids.workload_grid import sync as workload_sync
from tests.support.builders import NOW, children_map, deployment_spec, grid, observed, site_nodes, sync_request


def sync(request: dict) -> dict:
    return workload_sync(request, DEPLOYMENT, NOW)


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
    assert revision_of_stamped(once) == revision_of(child)
    assert stamped(once) == once
    assert child["metadata"]["annotations"] == {"a": "b"}  # the input is not changed
    changed = {**child, "spec": {"type": "ClusterIP"}}
    assert revision_of(changed) != revision_of(child)


def test_a_child_landed_only_when_it_carries_the_stamp_of_what_is_rendered() -> None:
    child = stamped({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"a": 1}})
    assert landed(child, observed_like(child))
    assert not landed(child, None)
    older = stamped({**child, "spec": {"a": 0}})
    assert not landed(child, observed_like(older))
    unstamped = copy.deepcopy(observed_like(child))
    del unstamped["metadata"]["annotations"][REVISION_ANNOTATION]
    assert not landed(child, unstamped)


def observed_like(child: dict) -> dict:
    return {**copy.deepcopy(child), "status": {}}


def test_every_rendered_child_is_stamped_and_a_landed_one_is_synced_and_ready() -> None:
    parent, nodes = grid(template=deployment_spec(image="nginx:1.28")), site_nodes(a=1, b=1)
    first = sync(sync_request(parent, nodes))
    assert all(REVISION_ANNOTATION in c["metadata"]["annotations"] for c in first["children"])
    seen = children_map([observed(c) for c in first["children"]])
    again = sync(sync_request({**parent, "status": first["status"]}, nodes, seen))
    assert again["status"]["readyUnits"] == 2
    assert "applying" not in again["status"] and "notAppliedSince" not in again["status"]
