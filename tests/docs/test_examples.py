"""The ServiceGroup example renders as the README says: B per site, A calling B by one name, per-site Services."""

import json
import re
from pathlib import Path

import pytest
import yaml

from hooks.grids import service_grid, workload_grid
from hooks.grids.workload import DEPLOYMENT
from hooks.kube.selectors import matches
from hooks.sites import node_zone
from tests.install.test_manifests import CONTROLLERS, CRDS, kustomize
from tests.support.builders import NOW, site_nodes, sync_request
from tests.support.service_builders import service_sync_request, zone_request

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "servicegroup"
DOCS = kustomize(EXAMPLE)
SITES = ("beijing-02", "guangzhou-03", "shanghai-01")
NODES = site_nodes(**{site: 2 for site in SITES})


def doc(kind, name):
    return next(d for d in DOCS if d["kind"] == kind and d["metadata"]["name"] == name)


def deployments(name):
    resp = workload_grid.sync(sync_request(doc("DeploymentGrid", name), NODES), DEPLOYMENT, NOW)
    return {c["metadata"]["labels"]["site"]: c for c in resp["children"]}


def services(name):
    resp = service_grid.sync(service_sync_request(doc("ServiceGrid", name), NODES), NOW)
    return {c["metadata"]["name"]: c for c in resp["children"]}


def test_every_grid_satisfies_its_crd():
    required = {c["spec"]["names"]["kind"]: c["spec"]["versions"][0]["schema"]["openAPIV3Schema"] for c in CRDS}
    grids = [d for d in DOCS if d["apiVersion"] == "superedge.io/v1"]
    assert sorted((d["kind"], d["metadata"]["name"]) for d in grids) == [
        ("DeploymentGrid", "api"),
        ("DeploymentGrid", "web"),
        ("ServiceGrid", "api"),
        ("ServiceGrid", "web"),
    ]
    for grid in grids:
        spec_schema = required[grid["kind"]]["properties"]["spec"]
        assert set(spec_schema["required"]) <= set(grid["spec"])
        assert set(grid["spec"]) <= set(spec_schema["properties"])
        assert re.match(spec_schema["properties"]["gridUniqKey"]["pattern"], grid["spec"]["gridUniqKey"])


@pytest.mark.parametrize("name", ["api", "web"])
def test_each_service_runs_in_all_three_sites(name):
    kids = deployments(name)
    assert sorted(kids) == list(SITES)
    for site, child in kids.items():
        assert child["metadata"]["name"] == f"{name}-{site}"
        assert child["spec"]["template"]["spec"]["nodeSelector"] == {"site": site}


def test_web_calls_api_by_the_shared_name():
    shared = [s for s in services("api").values() if "site" not in s["metadata"]["labels"]]
    assert [s["metadata"]["name"] for s in shared] == ["api-svc"]
    assert json.loads(shared[0]["metadata"]["annotations"]["topologyKeys"]) == ["site"]
    assert shared[0]["spec"]["trafficDistribution"] == "PreferSameZone"  # 1.34+, the oldest version supported
    assert "proxy_pass http://api-svc;" in doc("ConfigMap", "web-nginx")["data"]["default.conf"]


@pytest.mark.parametrize("name", ["api", "web"])
def test_per_site_services_select_exactly_their_sites_pods(name):
    pods = {site: d["spec"]["template"]["metadata"]["labels"] for site, d in deployments(name).items()}
    svcs = services(name)
    assert sorted(svcs) == [f"{name}-svc", *(f"{name}-svc-{site}" for site in SITES)]
    for site in SITES:
        selector = {"matchLabels": svcs[f"{name}-svc-{site}"]["spec"]["selector"]}
        assert [s for s, labels in pods.items() if matches(selector, labels)] == [site]
    shared = {"matchLabels": svcs[f"{name}-svc"]["spec"]["selector"]}
    assert all(matches(shared, labels) for labels in pods.values())


def test_the_installed_decorator_gives_each_example_node_its_site_as_zone():
    decorator = next(c for c in CONTROLLERS if c["kind"] == "DecoratorController")
    key = decorator["metadata"]["annotations"][node_zone.SOURCE_KEY_ANNOTATION]
    for node in NODES.values():
        answer = node_zone.sync(zone_request(node["metadata"]["labels"], key=key))
        assert answer.response["labels"] == {node_zone.ZONE_LABEL: node["metadata"]["labels"]["site"]}


def yaml_documents(path):
    blocks = re.findall(r"```yaml\n(.*?)```", path.read_text(), re.S)
    return [d for block in blocks for d in yaml.safe_load_all(block) if isinstance(d, dict)]


@pytest.mark.parametrize("path", ["README.md", "docs/traffic-locality.md"])
def test_documented_objects_are_the_example_ones(path):
    """What the docs show of the example is exactly what examples/servicegroup/ applies."""
    example = {(d["kind"], d["metadata"]["name"]): d for d in DOCS}
    shown = [d for d in yaml_documents(EXAMPLE.parent.parent / path) if identity(d) in example]
    assert shown, "the document shows no example object"
    for obj in shown:
        assert obj == example[identity(obj)]


def identity(obj: dict) -> tuple:
    return (obj.get("kind"), (obj.get("metadata") or {}).get("name"))
