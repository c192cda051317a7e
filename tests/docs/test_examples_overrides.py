"""The YAML in examples/ is accepted by our CRD schema and renders what its comments promise."""

from pathlib import Path

import pytest
import yaml

from hooks.grids import workload_grid
from hooks.grids.workload import DEPLOYMENT
from tests.support import k8s_schema
from tests.support.builders import NOW, node, sync_request

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").rglob("*.yaml"))


def crd_problems(obj: dict) -> list[str]:
    """Problems of one of our own kinds against its CRD schema (tests/support/k8s_schema.py picks the CRD)."""
    assert (obj["apiVersion"], obj["kind"]) in k8s_schema.our_crds()
    return k8s_schema.problems(obj, allow_null=True)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_match_our_crd_schema(path):
    for doc in yaml.safe_load_all(path.read_text()):
        if doc and (doc.get("apiVersion"), doc.get("kind")) in k8s_schema.our_crds():
            assert crd_problems(doc) == []


def pos_nodes() -> dict:
    nodes = {}
    for i, site in enumerate(["store-berlin-01", "store-berlin-01", "store-hamburg-02", "store-munich-03"]):
        nodes[f"n{i}"] = node(f"n{i}", {"site": site})
    nodes["dc-1"] = node("dc-1", {"site": "dc-frankfurt", "example.com/tier": "core"})
    return nodes


def test_overrides_example_renders_per_site_differences():
    parent = yaml.safe_load((ROOT / "examples" / "overrides" / "deploymentgrid.yaml").read_text())
    parent["metadata"].update({"uid": "u-1", "generation": 1})
    resp = workload_grid.sync(sync_request(parent, pos_nodes()), DEPLOYMENT, NOW)
    kids = {c["metadata"]["labels"]["site"]: c for c in resp["children"]}
    assert sorted(kids) == ["store-berlin-01", "store-hamburg-02", "store-munich-03"]  # no core data centre
    assert [kids[s]["spec"]["replicas"] for s in sorted(kids)] == [7, 2, 2]
    images = {s: c["spec"]["template"]["spec"]["containers"][0]["image"] for s, c in kids.items()}
    assert images["store-hamburg-02"].endswith(":2.5.0-rc1") and images["store-munich-03"].endswith(":2.4.1")
    for site, child in kids.items():
        env = child["spec"]["template"]["spec"]["containers"][0]["env"]
        assert env == [{"name": "LOG_LEVEL", "value": "info"}, {"name": "SITE", "value": site}]
        assert child["metadata"]["annotations"]["example.com/dashboard"].endswith(f"var-site={site}")
        assert child["metadata"]["labels"]["app.kubernetes.io/part-of"] == "point-of-sale"
        k8s_schema.assert_valid(child)
    assert "unmatchedOverrideUnits" not in resp["status"]
    assert next(c for c in resp["status"]["conditions"] if c["type"] == "Synced")["status"] == "True"


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        ({"patch": [{"op": "delete", "path": "/spec"}]}, "patch/0/op"),
        ({"patch": [{"op": "add", "path": "spec/replicas", "value": 1}]}, "patch/0/path"),
        ({"patch": [{"op": "copy", "from": "x", "path": "/a"}]}, "patch/0/from"),
        ({"patch": [{"path": "/a"}]}, "patch/0"),
        ({"replicas": -1}, "replicas"),
        ({"replicas": "7"}, "replicas"),
        ({"images": {"web": 5}}, "images/web"),
        ({"units": ["not a unit"]}, "units/0"),
        ({"units": "a"}, "units"),
    ],
)
def test_crd_schema_refuses_what_a_schema_can_catch(entry, where):
    parent = yaml.safe_load((ROOT / "examples" / "overrides" / "deploymentgrid.yaml").read_text())
    parent["spec"]["overrides"] = [entry]
    found = crd_problems(parent)
    assert found and all(p.startswith(f"spec/overrides/0/{where}") for p in found), found


def test_crd_schema_accepts_any_json_patch_value():
    parent = yaml.safe_load((ROOT / "examples" / "overrides" / "deploymentgrid.yaml").read_text())
    values = ["x", 7, 1.5, True, None, [], [1, "a"], {"a": {"b": [1]}}]
    parent["spec"]["overrides"] = [
        {"patch": [{"op": "add", "path": f"/a{i}", "value": v} for i, v in enumerate(values)]}
    ]
    assert crd_problems(parent) == []
