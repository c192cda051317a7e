"""Refused children through the real Flask app: the records and the resync travel over HTTP, fit the CRDs,
and a quiet sync answers the stored status byte for byte."""

from __future__ import annotations

import pytest

from hooks.grids.applied import GRACE_SECONDS, RETRY_SECONDS
from hooks.server.app import create_app
from tests.install.test_nodegroup_manifests import schema_errors
from tests.server.test_rollout_contract import crd_status_schema
from tests.support.builders import children_map, grid, observed, post, site_nodes, sync_request
from tests.support.service_builders import observed_service, service_grid, service_sync_request

T0, T1, T40 = "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "2026-01-01T00:00:41Z"

KINDS = {
    "DeploymentGrid": ("/deploymentgrid/sync", "deploymentgrids.yaml", grid, sync_request, observed, "web-"),
    "ServiceGrid": (
        "/servicegrid/sync",
        "servicegrids.yaml",
        service_grid,
        service_sync_request,
        observed_service,
        "web-svc-",
    ),
}


def call(route: str, body: dict, now: str) -> dict:
    response = post(create_app(clock=lambda: now).test_client(), route, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_refused_create_is_named_over_http_and_every_answer_fits_the_crd(kind: str) -> None:
    route, crd, make, request, observe, prefix = KINDS[kind]
    parent, nodes = make(), site_nodes(a=1, b=1)
    ask = call(route, request(parent, nodes), T0)
    landed = children_map([observe(c) for c in ask["children"] if c["metadata"]["name"] != f"{prefix}b"])
    confirm = call(route, request({**parent, "status": ask["status"]}, nodes, landed), T1)
    named = call(route, request({**parent, "status": confirm["status"]}, nodes, landed), T40)
    assert set(ask) == {"status", "children"} and set(ask["status"]["applying"]) >= {"b"}
    assert confirm["resyncAfterSeconds"] == GRACE_SECONDS and confirm["status"]["notAppliedSince"] == {"b": T1}
    assert named["resyncAfterSeconds"] == RETRY_SECONDS
    synced = next(c for c in named["status"]["conditions"] if c["type"] == "Synced")
    assert synced["reason"] == "ChildrenNotApplied" and ": b (since when" in synced["message"]
    for answer in (ask, confirm, named):
        assert schema_errors(answer["status"], crd_status_schema(crd), "status") == []


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_quiet_answers_the_stored_status_and_no_resync(kind: str) -> None:
    route, _, make, request, observe, _ = KINDS[kind]
    parent, nodes = make(), site_nodes(a=1, b=1)
    ask = call(route, request(parent, nodes), T0)
    landed = children_map([observe(c) for c in ask["children"]])
    settled = call(route, request({**parent, "status": ask["status"]}, nodes, landed), T1)
    quiet = call(route, request({**parent, "status": settled["status"]}, nodes, landed), T40)
    assert quiet == settled and "applying" not in quiet["status"] and "resyncAfterSeconds" not in quiet
