"""The examples render on the sample nodes, as the README promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from hooks.cli.render import node_map, render_grid
from hooks.grids.grid_kinds import GRID_KINDS
from hooks.kube.documents import Inputs, parse_objects

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SITES = ["beijing-02", "guangzhou-03", "shanghai-01"]
NODES = node_map(parse_objects((EXAMPLES / "nodes.yaml").read_text(), "nodes.yaml"))
GRIDS = [
    item
    for path in sorted(EXAMPLES.rglob("*.yaml"))
    if path.name != "nodes.yaml"
    for item in parse_objects(path.read_text(), str(path.relative_to(EXAMPLES)))
]
RENDERABLE = [item for item in GRIDS if item.obj.get("kind") in GRID_KINDS]


def test_sample_nodes_span_three_sites_and_a_node_outside_any():
    sites = {n["metadata"]["labels"].get("site") for n in NODES.values()}
    assert sites == {*SITES, None}


def test_the_workload_examples_are_renderable():
    kinds = {item.obj["kind"] for item in RENDERABLE}
    assert {"DeploymentGrid", "StatefulSetGrid"} <= kinds


@pytest.mark.parametrize("item", RENDERABLE, ids=lambda item: item.where)
def test_every_example_grid_renders_on_the_sample_nodes(item):
    children = render_grid(item, NODES, "default").children
    assert children, f"{item.where} rendered nothing"
    namespace = item.obj["metadata"].get("namespace", "default")
    assert {c["metadata"]["namespace"] for c in children} == {namespace}


@pytest.mark.parametrize("item", [i for i in RENDERABLE if i.obj["kind"] in ("DeploymentGrid", "StatefulSetGrid")])
def test_workload_examples_get_one_child_per_site(item):
    name = item.obj["metadata"]["name"]
    workload = item.obj["kind"].removesuffix("Grid")
    children = [c for c in render_grid(item, NODES, "default").children if c["kind"] == workload]
    assert [c["metadata"]["name"] for c in children] == [f"{name}-{site}" for site in SITES]


def test_shop_frontend_calls_catalog_by_its_shared_service_name():
    """A calls B by one name in every site: the ServiceGrid's shared Service `<name>-svc`."""
    shop = Inputs(stdin=None).objects([str(EXAMPLES / "shop")])
    by_kind = {(i.obj["kind"], i.obj["metadata"]["name"]) for i in shop}
    assert by_kind == {
        ("DeploymentGrid", "frontend"),
        ("ServiceGrid", "frontend"),
        ("DeploymentGrid", "catalog"),
        ("ServiceGrid", "catalog"),
    }
    frontend = next(
        i.obj for i in shop if i.obj["kind"] == "DeploymentGrid" and i.obj["metadata"]["name"] == "frontend"
    )
    catalog_port = next(
        i.obj for i in shop if i.obj["kind"] == "ServiceGrid" and i.obj["metadata"]["name"] == "catalog"
    )
    port = catalog_port["spec"]["template"]["ports"][0]["port"]
    script = frontend["spec"]["template"]["template"]["spec"]["containers"][0]["args"][0]
    assert f"http://catalog-svc:{port}" in script
