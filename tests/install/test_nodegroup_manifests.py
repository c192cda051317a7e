"""The NodeGroup's CRD and controller as installed by the kustomization, and its status against the schema."""

import copy

import pytest

from hooks.nodegroups import nodegroup
from tests.install.test_manifests import CONTROLLERS, CRDS
from tests.support.builders import NOW
from tests.support.nodegroup_builders import fleet, ng_request, node_group, workload_grid

CRD = next(c for c in CRDS if c["metadata"]["name"] == "nodegroups.superedge.io")
CONTROLLER = next(c for c in CONTROLLERS if c["spec"]["parentResource"]["resource"] == "nodegroups")
VERSION = CRD["spec"]["versions"][0]
SCHEMA = VERSION["schema"]["openAPIV3Schema"]
TYPES = {"object": dict, "array": list, "string": str, "integer": int, "boolean": bool}


def schema_errors(value: object, schema: dict, path: str = "") -> list[str]:
    """Where ``value`` breaks a structural schema: wrong type, or a field the API server would prune."""
    expected = TYPES[schema["type"]]
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        return [f"{path}: expected {schema['type']}, got {type(value).__name__}"]
    errors = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in schema.get("properties", {}):
                errors += schema_errors(item, schema["properties"][key], f"{path}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += schema_errors(item, schema["additionalProperties"], f"{path}[{key}]")
            elif not schema.get("x-kubernetes-preserve-unknown-fields"):
                errors.append(f"{path}.{key}: not in the schema, the API server would prune it")
    if isinstance(value, list):
        for i, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{path}[{i}]")
    return errors


def test_crd_is_cluster_scoped_with_short_name_and_columns():
    assert CRD["spec"]["scope"] == "Cluster"
    assert CRD["spec"]["names"]["kind"] == "NodeGroup" and CRD["spec"]["names"]["shortNames"] == ["ng"]
    columns = {c["name"]: c["jsonPath"] for c in VERSION["additionalPrinterColumns"]}
    assert columns["Units"] == ".status.units" and columns["Ready"] == ".status.readyUnits"
    assert columns["Age"] == ".metadata.creationTimestamp"
    assert SCHEMA["properties"]["spec"]["required"] == ["gridUniqKey"]


def test_controller_is_composite_over_nodeunits_with_v2_hooks():
    spec = CONTROLLER["spec"]
    assert CONTROLLER["kind"] == "CompositeController"
    assert spec["parentResource"] == {
        "apiVersion": "superedge.io/v1",
        "resource": "nodegroups",
        "ignoreStatusChanges": True,
    }
    assert spec["childResources"] == [
        {"apiVersion": "superedge.io/v1", "resource": "nodeunits", "updateStrategy": {"method": "InPlace"}}
    ]
    assert spec["generateSelector"] is True
    assert {name: hook["webhook"]["url"].rsplit("/", 2)[-2:] for name, hook in spec["hooks"].items()} == {
        "customize": ["nodegroup", "customize"],
        "sync": ["nodegroup", "sync"],
    }


def full_status() -> dict:
    """A status exercising every field: ready and not-ready nodes and workloads, the capped list."""
    grids = [workload_grid(f"ns-{i}", "web", {"a": i % 2 == 0}) for i in range(25)]
    grids.append(workload_grid("db", "pg", {"a": True}, kind="StatefulSetGrid"))
    return nodegroup.sync(ng_request(node_group(), fleet(down=("a-node-1",), a=2, b=1), grids), NOW)["status"]


def test_emitted_status_matches_crd_schema():
    status = full_status()
    status["observedGeneration"] = 3  # added by Metacontroller
    assert schema_errors(status, SCHEMA["properties"]["status"], "status") == []


def test_emitted_invalid_spec_status_matches_crd_schema():
    parent = node_group(gridUniqKey="bad key")
    parent["status"] = full_status()
    status = nodegroup.sync(ng_request(parent, fleet(a=1)), NOW)["status"]
    assert schema_errors(status, SCHEMA["properties"]["status"], "status") == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: s["nodeUnits"]["a"].update(extra=1), "would prune"),
        (lambda s: s.update(units="2"), "expected integer"),
        (lambda s: s["nodeUnits"]["a"].update(ready=1), "expected boolean"),
    ],
)
def test_schema_check_can_fail(change, problem):
    status = copy.deepcopy(full_status())
    change(status)
    assert problem in " ".join(schema_errors(status, SCHEMA["properties"]["status"], "status"))
