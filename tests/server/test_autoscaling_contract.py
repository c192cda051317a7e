"""Autoscaling through the real Flask app: HPAs answered next to the workloads, status within the CRD, the
reduced decode answering like a full one, and HPAs kept when the spec breaks."""

from __future__ import annotations

import orjson
import pytest

from hooks.grids.autoscaling import HPA_TYPE
from hooks.protocol import codec
from hooks.protocol.partial import Partial
from hooks.server.app import hook_table
from hooks.server.fast_decode import decoder_for
from hooks.server.route_reads import route_reads
from tests.install.test_nodegroup_manifests import schema_errors
from tests.server.test_rollout_contract import crd_status_schema
from tests.support.autoscaling_builders import autoscaling, by_kind, created, live_hpa, request
from tests.support.builders import NOW, grid, post, site_nodes

ROUTES = [
    ("/deploymentgrid/sync", "DeploymentGrid", "Deployment.apps/v1", "deploymentgrids.yaml"),
    ("/statefulsetgrid/sync", "StatefulSetGrid", "StatefulSet.apps/v1", "statefulsetgrids.yaml"),
]


def steady_request(kind: str, child_type: str, parent: dict, nodes: dict, route: str) -> dict:
    """The request after the grid's children exist: workloads scaled by their HPAs, one HPA unable to scale."""
    first = by_kind(hook_table()[route](request(parent, nodes, [], child_type), NOW))
    workload = child_type.split(".")[0]
    live = [created(c, 4) for c in first[workload].values()]
    hpas = [live_hpa(h, 4, 4) for h in first["HorizontalPodAutoscaler"].values()]
    hpas[0] = live_hpa(
        first["HorizontalPodAutoscaler"]["web-a"], 4, 4, active="False", active_reason="FailedGetExternalMetric"
    )
    return request(parent, nodes, [*live, *hpas], child_type)


@pytest.mark.parametrize(("route", "kind", "child_type", "crd"), ROUTES)
def test_hpas_and_status_over_http(client, route, kind, child_type, crd):
    parent, nodes = grid(kind, autoscaling=autoscaling()), site_nodes(a=1, b=1)
    resp = post(client, route, steady_request(kind, child_type, parent, nodes, route))
    assert resp.status_code == 200
    body = resp.get_json()
    assert set(body) == {"status", "children"}
    kids = by_kind(body)
    assert sorted(kids["HorizontalPodAutoscaler"]) == ["web-a", "web-b"]
    assert all("replicas" not in c["spec"] for c in kids[child_type.split(".")[0]].values())
    assert body["status"]["autoscaling"]["state"] == "CannotScale"
    assert body["status"]["states"]["a"]["autoscaling"]["canScale"] is False
    assert schema_errors(body["status"], crd_status_schema(crd), "status") == []


@pytest.mark.parametrize(("route", "kind", "child_type", "crd"), ROUTES)
def test_the_reduced_decode_answers_like_a_full_decode(route, kind, child_type, crd):
    parent, nodes = grid(kind, autoscaling=autoscaling()), site_nodes(a=1, b=1)
    body = orjson.dumps(steady_request(kind, child_type, parent, nodes, route))
    decoded = decoder_for(route_reads()[route])(body)
    assert all(isinstance(o, Partial) for group in decoded["children"].values() for o in group.values())
    fast = codec.dumps(hook_table()[route](decoded, NOW))
    assert fast == codec.dumps(hook_table()[route](codec.loads(body), NOW))


def test_an_invalid_spec_keeps_the_hpas_over_http(client):
    parent, nodes = grid(autoscaling=autoscaling()), site_nodes(a=1, b=1)
    req = steady_request("DeploymentGrid", "Deployment.apps/v1", parent, nodes, "/deploymentgrid/sync")
    req["parent"]["spec"]["autoscaling"] = {"maxReplicas": "six"}
    body = post(client, "/deploymentgrid/sync", req).get_json()
    assert sorted(by_kind(body)["HorizontalPodAutoscaler"]) == ["web-a", "web-b"]
    assert len(body["children"]) == len(req["children"]["Deployment.apps/v1"]) + len(req["children"][HPA_TYPE])
    synced = next(c for c in body["status"]["conditions"] if c["type"] == "Synced")
    assert "spec.autoscaling.maxReplicas must be an integer" in synced["message"]
