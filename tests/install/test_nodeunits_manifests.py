"""The NodeUnit CRD, the NodeGroup controller's child resource and the grids' siteSource, as installed."""

import re

import pytest

from hooks.kube.names import is_dns1123_subdomain
from hooks.nodegroups import nodegroup
from hooks.sites.site_spec import SITE_SOURCES
from tests.install.test_manifests import CONTROLLERS, CRDS
from tests.install.test_nodegroup_manifests import schema_errors
from tests.support.builders import NOW
from tests.support.nodegroup_builders import fleet, ng_request, node_group

CRD = next(c for c in CRDS if c["metadata"]["name"] == "nodeunits.superedge.io")
VERSION = CRD["spec"]["versions"][0]
SCHEMA = VERSION["schema"]["openAPIV3Schema"]
SPEC = SCHEMA["properties"]["spec"]
NODEGROUP_CONTROLLER = next(c for c in CONTROLLERS if c["spec"]["parentResource"]["resource"] == "nodegroups")
GRID_CRDS = [c for c in CRDS if c["spec"]["names"]["kind"] in ("DeploymentGrid", "StatefulSetGrid")]


def crd_of(resource: str) -> dict:
    return next(c for c in CRDS if c["spec"]["names"]["plural"] == resource)


def test_crd_is_cluster_scoped_with_short_name_and_columns():
    assert CRD["spec"]["scope"] == "Cluster"
    assert CRD["spec"]["names"]["kind"] == "NodeUnit" and CRD["spec"]["names"]["shortNames"] == ["nu"]
    columns = {c["name"]: c["jsonPath"] for c in VERSION["additionalPrinterColumns"]}
    assert columns == {
        "Key": ".spec.gridUniqKey",
        "Unit": ".spec.unit",
        "Nodes": ".spec.nodeCount",
        "Age": ".metadata.creationTimestamp",
        "Node-Names": ".spec.nodes",
        "Not-Ready-Since": ".spec.notReadySince",
    }
    assert SPEC["required"] == ["gridUniqKey", "unit", "nodes"]


def test_nodeunit_has_no_status():
    """Membership and readiness transitions only: nothing a heartbeat changes, so no status and no status
    subresource."""
    assert set(SPEC["properties"]) == {"gridUniqKey", "unit", "nodes", "nodeCount", "readySince", "notReadySince"}
    assert "subresources" not in VERSION
    assert "status" not in SCHEMA["properties"]


def test_unit_pattern_accepts_label_values_only():
    pattern = re.compile(SPEC["properties"]["unit"]["pattern"])
    for good in ("a", "shanghai-01", "Zone_1.b", "9"):
        assert pattern.match(good)
    for bad in ("", "-a", "a b", "a/b", "a-"):
        assert not pattern.match(bad)


@pytest.mark.parametrize(
    ("key", "units"),
    [("site", {"a": 2, "shanghai-01": 1}), ("topology.kubernetes.io/zone", {"Zone_A": 1, "z" * 63: 3})],
)
def test_emitted_nodeunits_match_the_crd(key, units):
    children = nodegroup.sync(ng_request(node_group(gridUniqKey=key), fleet(key, **units)), NOW)["children"]
    assert len(children) == len(units)
    key_pattern = re.compile(SPEC["properties"]["gridUniqKey"]["pattern"])
    unit_pattern = re.compile(SPEC["properties"]["unit"]["pattern"])
    for child in children:
        assert child["apiVersion"] == f"{CRD['spec']['group']}/v1" and child["kind"] == CRD["spec"]["names"]["kind"]
        assert is_dns1123_subdomain(child["metadata"]["name"])
        assert schema_errors(child["spec"], SPEC, "spec") == []
        assert key_pattern.match(child["spec"]["gridUniqKey"]) and unit_pattern.match(child["spec"]["unit"])
        assert set(SPEC["required"]) <= set(child["spec"])


def test_schema_check_can_fail():
    assert "would prune" in " ".join(schema_errors({"unit": "a", "ready": True}, SPEC, "spec"))


def test_nodegroup_controller_owns_cluster_scoped_nodeunits():
    """Cluster-scoped children of a cluster-scoped parent: the hook emits them without a namespace."""
    spec = NODEGROUP_CONTROLLER["spec"]
    assert crd_of(spec["parentResource"]["resource"])["spec"]["scope"] == "Cluster"
    [child] = spec["childResources"]
    assert child["apiVersion"] == "superedge.io/v1" and crd_of(child["resource"])["spec"]["scope"] == "Cluster"
    assert child["updateStrategy"]["method"] == "InPlace"
    children = nodegroup.sync(ng_request(node_group(), fleet(a=1)), NOW)["children"]
    assert children and all("namespace" not in c["metadata"] for c in children)


@pytest.mark.parametrize("crd", GRID_CRDS, ids=lambda c: c["metadata"]["name"])
def test_grid_crds_offer_site_source(crd):
    prop = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["siteSource"]
    assert prop["type"] == "string" and tuple(prop["enum"]) == SITE_SOURCES
    assert "default" not in prop  # the hook defaults it; a schema default would be written into every stored grid
