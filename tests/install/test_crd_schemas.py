"""The grid CRDs' template schemas: structural, complete, small enough, and the CLI's copy is the same."""

from __future__ import annotations

import importlib.util
import json

import pytest

from hooks.kube.schema_fields import pruned, unknown_fields
from tests.install.test_manifests import CRDS, ROOT
from tests.support.builders import deployment_spec

GRIDS = {c["spec"]["names"]["kind"]: c for c in CRDS if c["spec"]["scope"] == "Namespaced"}


def spec_schema(kind: str) -> dict:
    return GRIDS[kind]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]


def nodes(schema: dict, path: str = ""):
    yield path, schema
    for key, sub in (schema.get("properties") or {}).items():
        yield from nodes(sub, f"{path}.{key}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from nodes(schema[key], f"{path}[{key}]")


@pytest.mark.parametrize("kind", sorted(GRIDS))
def test_schemas_are_structural(kind):
    """What the API server requires of a CRD schema: no $ref, a type on every node unless marked otherwise,
    never properties and additionalProperties together."""
    for path, node in nodes(spec_schema(kind)):
        assert "$ref" not in node, path
        marked = node.get("x-kubernetes-int-or-string") or node.get("x-kubernetes-preserve-unknown-fields")
        assert node.get("type") or marked, path
        assert not ("properties" in node and "additionalProperties" in node), path


@pytest.mark.parametrize(
    ("kind", "field", "inner"),
    [
        ("DeploymentGrid", "template", {"strategy", "replicas", "template", "selector"}),
        ("StatefulSetGrid", "template", {"volumeClaimTemplates", "serviceName", "podManagementPolicy"}),
        ("ServiceGrid", "template", {"ports", "selector", "trafficDistribution", "type"}),
    ],
)
def test_templates_are_typed_specs(kind, field, inner):
    template = spec_schema(kind)["properties"][field]
    assert inner <= set(template["properties"])
    assert "x-kubernetes-preserve-unknown-fields" not in template
    if kind != "ServiceGrid":
        assert (
            spec_schema(kind)["properties"]["templatePool"]["additionalProperties"]["properties"]
            == (template["properties"])
        )


def test_pod_labels_and_quantities_survive_pruning():
    """The API server prunes by these schemas: a wrong one silently drops pod labels or resource figures."""
    spec = deployment_spec()
    container = spec["template"]["spec"]["containers"][0]
    container["resources"] = {"requests": {"cpu": 0.5, "memory": "64Mi"}}
    container["ports"] = [{"containerPort": 8080}]
    spec["strategy"] = {"rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}}
    grid_spec = {"gridUniqKey": "site", "template": spec}
    assert pruned(grid_spec, spec_schema("DeploymentGrid")) == grid_spec
    assert unknown_fields(grid_spec, spec_schema("DeploymentGrid"), "spec") == []


def test_a_typo_is_an_unknown_field():
    spec = deployment_spec()
    spec["template"]["spec"]["containers"][0]["imagePullPolicey"] = "Always"
    found = unknown_fields({"gridUniqKey": "site", "template": spec}, spec_schema("DeploymentGrid"), "spec")
    assert [str(f) for f in found] == [
        "unknown field spec.template.template.spec.containers[0].imagePullPolicey (did you mean imagePullPolicy?)"
    ]


@pytest.mark.parametrize("crd", CRDS, ids=lambda c: c["metadata"]["name"])
def test_crds_stay_well_under_the_size_limits(crd):
    """etcd refuses objects over ~1.5 MB; client-side kubectl apply copies the object into a 256 KB annotation."""
    size = len(json.dumps(crd, separators=(",", ":")))
    assert size < 200_000, f"{crd['metadata']['name']}: {size} bytes"


def test_cli_schema_file_is_the_crds():
    spec = importlib.util.spec_from_file_location("gen", ROOT / "crds" / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (ROOT / "hooks" / "cli" / "grid_schemas.json").read_text() == gen.cli_schemas(gen.all_crds())
    assert json.loads((ROOT / "hooks" / "cli" / "grid_schemas.json").read_text()) == {
        kind: spec_schema(kind) for kind in GRIDS
    }
