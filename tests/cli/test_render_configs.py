"""Offline, a workload grid naming a ConfigMapGrid renders as in the cluster: from the ConfigMaps the given
ConfigMapGrids would create, or from the live ConfigMaps given with --observed."""

from __future__ import annotations

import copy

from hooks.cli.render import render_all
from hooks.kube.documents import Sourced
from tests.support.builders import deployment_spec, grid, site_nodes
from tests.support.kind_builders import configmap_grid

NODES = site_nodes(a=1, b=1)


def pods(outcome):
    return {c["metadata"]["name"]: c["spec"]["template"] for c in outcome.children if c["kind"] == "Deployment"}


def workload() -> dict:
    template = deployment_spec()
    template["template"]["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "app-config"}}]
    parent = grid(template=template)
    parent["metadata"] = {"name": "web", "namespace": "shop"}
    return parent


def config() -> dict:
    parent = configmap_grid()
    parent["metadata"] = {"name": "app-config", "namespace": "shop"}
    return parent


def test_references_name_the_configmaps_the_given_configmapgrid_renders():
    outcome = render_all([Sourced(workload(), "web.yaml"), Sourced(config(), "cm.yaml")], NODES, "default")
    assert outcome.errors == []
    rendered = pods(outcome)
    assert rendered["web-a"]["spec"]["containers"][0]["envFrom"] == [{"configMapRef": {"name": "app-config-a"}}]
    assert "superedge.io/config-hash" in rendered["web-b"]["metadata"]["annotations"]
    assert sorted(c["metadata"]["name"] for c in outcome.children if c["kind"] == "ConfigMap") == [
        "app-config-a",
        "app-config-b",
    ]


def test_observed_configmaps_decide_the_hash():
    grids = [Sourced(workload(), "web.yaml"), Sourced(config(), "cm.yaml")]
    planned = render_all(grids, NODES, "default")
    live = copy.deepcopy([c for c in planned.children if c["kind"] == "ConfigMap"])
    same = render_all(grids, NODES, "default", live)
    assert pods(same) == pods(planned)
    live[0]["data"]["LOG_LEVEL"] = "debug"  # app-config-a as the cluster holds it, edited since
    edited = pods(render_all(grids, NODES, "default", live))
    assert edited["web-a"] != pods(planned)["web-a"] and edited["web-b"] == pods(planned)["web-b"]


def test_without_the_configmapgrid_a_name_is_a_plain_configmap():
    outcome = render_all([Sourced(workload(), "web.yaml")], NODES, "default")
    assert pods(outcome)["web-a"]["spec"]["containers"][0]["envFrom"] == [{"configMapRef": {"name": "app-config"}}]
